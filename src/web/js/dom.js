/** Small DOM helpers: elements are built in script, never from HTML strings (no injection, CSP-clean). */
let nextId = 0;

export function uid(prefix) {
  nextId += 1;
  return `${prefix}-${nextId}`;
}

const PROPERTIES = new Set(['value', 'checked', 'disabled', 'selected', 'hidden']);

export function h(tag, props = {}, ...children) {
  const element = document.createElement(tag);
  for (const [key, value] of Object.entries(props ?? {})) {
    if (value === undefined || value === null) continue;
    if (key.startsWith('on') && typeof value === 'function') element.addEventListener(key.slice(2), value);
    else if (key === 'class') element.className = value;
    else if (PROPERTIES.has(key)) element[key] = value;
    else if (value !== false) element.setAttribute(key, value === true ? '' : String(value));
  }
  append(element, children);
  return element;
}

function append(element, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    element.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

export function clear(element, ...children) {
  element.replaceChildren();
  append(element, children);
  return element;
}

/** A labelled form control; `hint` is tied to the control with aria-describedby. */
export function field(label, control, hint) {
  control.id ||= uid('f');
  const hintId = hint ? uid('hint') : undefined;
  if (hintId) control.setAttribute('aria-describedby', hintId);
  return h('div', { class: 'field' }, h('label', { for: control.id }, label), control, hint ? h('small', { id: hintId, class: 'hint' }, hint) : null);
}

export function select(name, options, value) {
  return h('select', { name }, options.map((option) => h('option', { value: option, selected: option === value }, option === '' ? 'any' : option)));
}

/** An RFC 9457 problem as an alert: title, detail and each validation message. */
export function problemView(error) {
  const problem = error?.problem ?? { title: 'Error', detail: error instanceof Error ? error.message : String(error) };
  const errors = Array.isArray(problem.errors) ? problem.errors : [];
  return h('div', { class: 'problem', role: 'alert' },
    h('p', { class: 'problem-title' }, `${problem.title ?? 'Error'}${problem.status ? ` (${problem.status})` : ''}`),
    problem.detail ? h('p', {}, problem.detail) : null,
    errors.length ? h('ul', {}, errors.map((item) => h('li', {}, describeError(item)))) : null);
}

function describeError(item) {
  if (typeof item === 'string') return item;
  const path = item.path ?? item.instancePath ?? (Array.isArray(item.path) ? item.path.join('.') : '');
  return `${path ? `${Array.isArray(path) ? path.join('.') : path}: ` : ''}${item.message ?? JSON.stringify(item)}`;
}

/** A 404 from a whole API area means the feature is not enabled on this gateway: say so plainly. */
export function unavailableOr(error, what) {
  if (error?.problem?.status === 404) return h('p', { class: 'notice' }, `${what} is not enabled on this gateway.`);
  return problemView(error);
}

export function notice(text, kind = 'ok') {
  return h('p', { class: `notice notice-${kind}`, role: 'status' }, text);
}

/** A table with a caption and header cells; `columns` are [heading, cell(row)] pairs. */
export function table(caption, columns, rows, empty = 'Nothing to show.') {
  if (rows.length === 0) return h('p', { class: 'empty' }, `${caption}: ${empty}`);
  return h('div', { class: 'table-wrap' }, h('table', {},
    h('caption', {}, caption),
    h('thead', {}, h('tr', {}, columns.map(([heading]) => h('th', { scope: 'col' }, heading)))),
    h('tbody', {}, rows.map((row) => h('tr', {}, columns.map(([, cell]) => h('td', {}, cell(row))))))));
}

export function section(title, ...children) {
  const headingId = uid('h');
  return h('section', { 'aria-labelledby': headingId, class: 'panel' }, h('h2', { id: headingId }, title), children);
}

export function pageHeading(title, intro) {
  return [h('h1', { tabindex: '-1' }, title), intro ? h('p', { class: 'intro' }, intro) : null];
}

/** Runs an async action from a button, disabling it meanwhile and showing the outcome in `output`. */
export function actionButton(label, output, action, props = {}) {
  const button = h('button', { type: 'button', ...props }, label);
  button.addEventListener('click', async () => {
    button.disabled = true;
    try {
      await action(button);
    } catch (error) {
      clear(output, problemView(error));
    } finally {
      if (button.isConnected) button.disabled = false;
    }
  });
  return button;
}

export function isoFromLocal(value) {
  return value ? new Date(value).toISOString() : undefined;
}

export function localInputValue(date) {
  const shifted = new Date(date.getTime() - date.getTimezoneOffset() * 60_000);
  return shifted.toISOString().slice(0, 16);
}

export function when(iso) {
  return iso ? new Date(iso).toLocaleString() : '—';
}

/** Submits a form through `handler(values)` and shows a problem in `output` when it throws. */
export function onSubmit(form, output, handler) {
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const submit = form.querySelector('button[type=submit]');
    if (submit) submit.disabled = true;
    try {
      await handler(Object.fromEntries(new FormData(form)));
    } catch (error) {
      clear(output, problemView(error));
    } finally {
      if (submit) submit.disabled = false;
    }
  });
}
