import { field, h, uid } from './dom.js';

const WIDTH = 640;
const HEIGHT = 360;
const STEP = 0.02;

function round(value) {
  return Math.round(Math.min(1, Math.max(0, value)) * 10_000) / 10_000;
}

/**
 * Privacy-mask polygons drawn on a snapshot, in normalized [0, 1] coordinates (what the camera API stores).
 * Mouse: click to add a point. Keyboard: arrows move the cursor, Enter adds a point, Escape closes the polygon.
 * The JSON text area is an equivalent, editable view of the same masks.
 */
export function maskEditor(initialMasks) {
  let masks = initialMasks.map((polygon) => polygon.map(([x, y]) => [x, y]));
  let current = [];
  let cursor = [0.5, 0.5];
  let snapshot = null;
  const helpId = uid('mask-help');
  const canvas = h('canvas', { width: String(WIDTH), height: String(HEIGHT), tabindex: '0', role: 'application', class: 'mask-canvas', 'aria-label': 'Privacy mask drawing area', 'aria-describedby': helpId });
  const text = h('textarea', { name: 'masks', rows: '4', class: 'mono', spellcheck: 'false' });
  const status = h('p', { class: 'hint', 'aria-live': 'polite' });
  const context = canvas.getContext('2d');

  const draw = () => {
    context.fillStyle = '#1d2733';
    context.fillRect(0, 0, WIDTH, HEIGHT);
    if (snapshot) context.drawImage(snapshot, 0, 0, WIDTH, HEIGHT);
    context.lineWidth = 2;
    for (const polygon of masks) {
      context.beginPath();
      polygon.forEach(([x, y], i) => (i === 0 ? context.moveTo(x * WIDTH, y * HEIGHT) : context.lineTo(x * WIDTH, y * HEIGHT)));
      context.closePath();
      context.fillStyle = 'rgba(0, 0, 0, 0.75)';
      context.fill();
      context.strokeStyle = '#ffcc00';
      context.stroke();
    }
    context.strokeStyle = '#4fc3f7';
    context.beginPath();
    current.forEach(([x, y], i) => (i === 0 ? context.moveTo(x * WIDTH, y * HEIGHT) : context.lineTo(x * WIDTH, y * HEIGHT)));
    context.stroke();
    context.strokeStyle = '#ffffff';
    context.strokeRect(cursor[0] * WIDTH - 5, cursor[1] * HEIGHT - 5, 10, 10);
    text.value = JSON.stringify(masks);
    status.textContent = `${masks.length} mask(s)${current.length ? `; drawing a polygon with ${current.length} point(s)` : ''}.`;
  };
  const addPoint = (point) => {
    current.push([round(point[0]), round(point[1])]);
    draw();
  };
  const closePolygon = () => {
    if (current.length < 3) {
      status.textContent = 'A mask needs at least three points.';
      return;
    }
    masks.push(current);
    current = [];
    draw();
  };
  canvas.addEventListener('click', (event) => {
    const box = canvas.getBoundingClientRect();
    cursor = [(event.clientX - box.left) / box.width, (event.clientY - box.top) / box.height];
    addPoint(cursor);
  });
  canvas.addEventListener('keydown', (event) => {
    const moves = { ArrowLeft: [-STEP, 0], ArrowRight: [STEP, 0], ArrowUp: [0, -STEP], ArrowDown: [0, STEP] };
    const move = moves[event.key];
    if (move) cursor = [round(cursor[0] + move[0]), round(cursor[1] + move[1])];
    else if (event.key === 'Enter' || event.key === ' ') addPoint(cursor);
    else if (event.key === 'Escape') closePolygon();
    else return;
    event.preventDefault();
    draw();
  });
  text.addEventListener('change', () => {
    try {
      const parsed = JSON.parse(text.value);
      if (!Array.isArray(parsed)) throw new Error('expected an array of polygons');
      masks = parsed;
      current = [];
      draw();
    } catch (error) {
      status.textContent = `Masks not changed: ${error.message}`;
    }
  });
  const button = (label, action) => {
    const element = h('button', { type: 'button' }, label);
    element.addEventListener('click', action);
    return element;
  };
  const element = h('div', { class: 'mask-editor' },
    h('p', { id: helpId, class: 'hint' }, 'Click to add points, or focus the drawing and use the arrow keys and Enter; Escape or "Close polygon" finishes a mask. Masked areas are blacked out before anything else sees the frame.'),
    canvas,
    h('div', { class: 'toolbar' },
      button('Close polygon', closePolygon),
      button('Undo point', () => { current.pop(); draw(); }),
      button('Remove last mask', () => { masks.pop(); draw(); })),
    status,
    field('Masks (JSON, normalized 0–1)', text));
  draw();
  return {
    element,
    masks: () => masks,
    setSnapshot(image) {
      snapshot = image;
      draw();
    },
  };
}
