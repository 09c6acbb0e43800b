// DOM helpers shared by the page's modules. Text from the service is only ever set as text (children,
// textContent), never as HTML, so a title or an answer cannot inject markup.

export const $ = (id) => document.getElementById(id);

/** An element with properties and children (strings become text nodes). */
export function element(tag, props = {}, ...children) {
  const el = document.createElement(tag);
  Object.assign(el, props);
  el.append(...children);
  return el;
}
