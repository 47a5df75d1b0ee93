import { field, h, uid } from './dom.js';

const WIDTH = 640;
const HEIGHT = 360;
const STEP = 0.02;
const MOVES = { ArrowLeft: [-STEP, 0], ArrowRight: [STEP, 0], ArrowUp: [0, -STEP], ArrowDown: [0, STEP] };

function round(value) {
  return Math.round(Math.min(1, Math.max(0, value)) * 10_000) / 10_000;
}

function tracePath(context, points) {
  context.beginPath();
  points.forEach(([x, y], i) => (i === 0 ? context.moveTo(x * WIDTH, y * HEIGHT) : context.lineTo(x * WIDTH, y * HEIGHT)));
}

/** Snapshot, finished masks (blacked out, outlined), the polygon being drawn and the keyboard cursor. */
function drawScene(context, state) {
  context.fillStyle = '#1d2733';
  context.fillRect(0, 0, WIDTH, HEIGHT);
  if (state.snapshot) context.drawImage(state.snapshot, 0, 0, WIDTH, HEIGHT);
  context.lineWidth = 2;
  for (const polygon of state.masks) {
    tracePath(context, polygon);
    context.closePath();
    context.fillStyle = 'rgba(0, 0, 0, 0.75)';
    context.fill();
    context.strokeStyle = '#ffcc00';
    context.stroke();
  }
  context.strokeStyle = '#4fc3f7';
  tracePath(context, state.current);
  context.stroke();
  context.strokeStyle = '#ffffff';
  context.strokeRect(state.cursor[0] * WIDTH - 5, state.cursor[1] * HEIGHT - 5, 10, 10);
}

function button(label, action) {
  const element = h('button', { type: 'button' }, label);
  element.addEventListener('click', action);
  return element;
}

function bindInput(canvas, text, state, update) {
  canvas.addEventListener('click', (event) => {
    const box = canvas.getBoundingClientRect();
    state.cursor = [(event.clientX - box.left) / box.width, (event.clientY - box.top) / box.height];
    update.addPoint();
  });
  canvas.addEventListener('keydown', (event) => {
    const move = MOVES[event.key];
    if (move) {
      state.cursor = [round(state.cursor[0] + move[0]), round(state.cursor[1] + move[1])];
      update.redraw();
    } else if (event.key === 'Enter' || event.key === ' ') update.addPoint();
    else if (event.key === 'Escape') update.closePolygon();
    else return;
    event.preventDefault();
  });
  text.addEventListener('change', () => {
    try {
      const parsed = JSON.parse(text.value);
      if (!Array.isArray(parsed)) throw new Error('expected an array of polygons');
      state.masks = parsed;
      state.current = [];
      update.redraw();
    } catch (error) {
      update.say(`Masks not changed: ${error.message}`);
    }
  });
}

/**
 * Privacy-mask polygons drawn on a snapshot, in normalized [0, 1] coordinates (what the camera API stores).
 * Mouse: click to add a point. Keyboard: arrows move the cursor, Enter adds a point, Escape closes the polygon.
 * The JSON text area is an equivalent, editable view of the same masks.
 */
export function maskEditor(initialMasks) {
  const state = { masks: initialMasks.map((polygon) => polygon.map(([x, y]) => [x, y])), current: [], cursor: [0.5, 0.5], snapshot: null };
  const helpId = uid('mask-help');
  const canvas = h('canvas', { width: String(WIDTH), height: String(HEIGHT), tabindex: '0', role: 'application', class: 'mask-canvas', 'aria-label': 'Privacy mask drawing area', 'aria-describedby': helpId });
  const text = h('textarea', { name: 'masks', rows: '4', class: 'mono', spellcheck: 'false' });
  const status = h('p', { class: 'hint', 'aria-live': 'polite' });
  const context = canvas.getContext('2d');
  const update = {
    say: (message) => { status.textContent = message; },
    redraw() {
      drawScene(context, state);
      text.value = JSON.stringify(state.masks);
      update.say(`${state.masks.length} mask(s)${state.current.length ? `; drawing a polygon with ${state.current.length} point(s)` : ''}.`);
    },
    addPoint() {
      state.current.push([round(state.cursor[0]), round(state.cursor[1])]);
      update.redraw();
    },
    closePolygon() {
      if (state.current.length < 3) return update.say('A mask needs at least three points.');
      state.masks.push(state.current);
      state.current = [];
      return update.redraw();
    },
  };
  bindInput(canvas, text, state, update);
  const element = h('div', { class: 'mask-editor' },
    h('p', { id: helpId, class: 'hint' }, 'Click to add points, or focus the drawing and use the arrow keys and Enter; Escape or "Close polygon" finishes a mask. Masked areas are blacked out before anything else sees the frame.'),
    canvas,
    h('div', { class: 'toolbar' },
      button('Close polygon', update.closePolygon),
      button('Undo point', () => { state.current.pop(); update.redraw(); }),
      button('Remove last mask', () => { state.masks.pop(); update.redraw(); })),
    status,
    field('Masks (JSON, normalized 0–1)', text));
  update.redraw();
  return {
    element,
    masks: () => state.masks,
    setSnapshot(image) {
      state.snapshot = image;
      update.redraw();
    },
  };
}
