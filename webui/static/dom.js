// Tiny DOM builder. Text always becomes Text nodes (never markup), so
// nothing that passes through here can inject HTML. The page's CSP
// (Trusted Types) makes innerHTML and friends throw anyway.

/**
 * h("p", {class: "x", onclick: fn}, "text", child) builds an element.
 * Props: class, dataset (object), on<event> (listener), anything else as
 * an attribute (true = present, false/null/undefined = absent).
 */
export function h(tag, props = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(props)) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'class') el.className = v;
    else if (k === 'dataset') Object.assign(el.dataset, v);
    else if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  append(el, children);
  return el;
}

/** append adds children (nodes or strings, nested arrays allowed). */
export function append(el, children) {
  for (const c of [children].flat(Infinity)) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : String(c));
  }
  return el;
}

/** clear removes every child of el. */
export function clear(el) {
  while (el.firstChild) el.firstChild.remove();
  return el;
}

let counter = 0;
/** uid returns a page-unique id with the given prefix. */
export function uid(prefix) {
  counter += 1;
  return `${prefix}-${counter}`;
}
