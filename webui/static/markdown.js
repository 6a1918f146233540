// A small, safe Markdown subset for model answers: paragraphs (single
// newlines become line breaks), **bold**, *italic* / _italic_, `code`,
// bullet and numbered lists, headings (shown as bold lines) and pipe
// tables, which become real <table> elements. Everything is built as DOM
// nodes; model text only ever lands in Text nodes.

import { h, uid } from './dom.js';

const tableSep = /^\s*\|?\s*:?-+:?\s*(\|\s*:?-+:?\s*)*\|?\s*$/;
const listItem = /^\s*([-*+]|\d{1,3}[.)])\s+(.*)$/;
const heading = /^\s{0,3}#{1,6}\s+(.*?)\s*#*\s*$/;

/** renderMarkdown returns a DocumentFragment for src. */
export function renderMarkdown(src) {
  const frag = document.createDocumentFragment();
  const lines = String(src).replace(/\r\n?/g, '\n').split('\n');
  let para = null; // lines of the open paragraph
  let list = null; // the open <ul>/<ol>

  const closePara = () => {
    if (para) frag.append(paragraph(para));
    para = null;
  };
  const closeList = () => {
    if (list) frag.append(list);
    list = null;
  };

  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    if (line.trim() === '') {
      closePara();
      closeList();
      continue;
    }
    if (line.trim().startsWith('|') && i + 1 < lines.length && tableSep.test(lines[i + 1]) && lines[i + 1].includes('-')) {
      closePara();
      closeList();
      const rows = [line];
      const sep = lines[i + 1];
      i += 2;
      while (i < lines.length && lines[i].trim().startsWith('|')) rows.push(lines[i++]);
      i -= 1;
      frag.append(table(rows[0], sep, rows.slice(1)));
      continue;
    }
    const li = listItem.exec(line);
    if (li) {
      closePara();
      const ordered = /\d/.test(li[1]);
      const tag = ordered ? 'OL' : 'UL';
      if (!list || list.tagName !== tag) {
        closeList();
        list = h(ordered ? 'ol' : 'ul');
      }
      list.append(h('li', {}, inline(li[2])));
      continue;
    }
    const hd = heading.exec(line);
    if (hd) {
      closePara();
      closeList();
      frag.append(h('p', { class: 'md-heading' }, h('strong', {}, inline(hd[1]))));
      continue;
    }
    closeList();
    (para ??= []).push(line);
  }
  closePara();
  closeList();
  return frag;
}

function paragraph(lines) {
  const p = h('p');
  lines.forEach((l, i) => {
    if (i > 0) p.append(h('br'));
    p.append(...inline(l.trim()));
  });
  return p;
}

// splitRow splits a pipe-table row into cells; "\|" is a literal pipe.
function splitRow(line) {
  let s = line.trim();
  if (s.startsWith('|')) s = s.slice(1);
  if (s.endsWith('|') && !s.endsWith('\\|')) s = s.slice(0, -1);
  const cells = [];
  let cur = '';
  for (let i = 0; i < s.length; i++) {
    if (s[i] === '\\' && s[i + 1] === '|') {
      cur += '|';
      i++;
    } else if (s[i] === '|') {
      cells.push(cur.trim());
      cur = '';
    } else {
      cur += s[i];
    }
  }
  cells.push(cur.trim());
  return cells;
}

function table(headLine, sepLine, bodyLines) {
  const head = splitRow(headLine);
  const align = splitRow(sepLine).map((c) => {
    const l = c.startsWith(':');
    const r = c.endsWith(':');
    if (l && r) return 'align-center';
    if (r) return 'align-right';
    return null;
  });
  const cell = (tag, text, i, extra = {}) => h(tag, { class: align[i] ?? undefined, ...extra }, inline(text));
  const thead = h('thead', {}, h('tr', {}, head.map((t, i) => cell('th', t, i, { scope: 'col' }))));
  const tbody = h('tbody', {}, bodyLines.map((line) => {
    const cells = splitRow(line);
    return h('tr', {}, head.map((_, i) => cell('td', cells[i] ?? '', i)));
  }));
  const id = uid('table');
  // A labelled, focusable scroll region: wide tables scroll sideways on a
  // phone without widening the page, and keyboard users can scroll them.
  return h('div', { class: 'table-wrap', role: 'region', tabindex: '0', 'aria-labelledby': id },
    h('table', {},
      h('caption', { id, class: 'visually-hidden' }, `Table: ${head.join(', ')}`),
      thead, tbody));
}

const inlineRe = /`([^`\n]+)`|\*\*(.+?)\*\*|(?<![\p{L}\p{N}_\\])_(?![\s_])(.+?)(?<![\s\\])_(?![\p{L}\p{N}_])|(?<![\p{L}\p{N}*\\])\*(?![\s*])(.+?)(?<![\s*\\])\*(?![\p{L}\p{N}*])/gu;

/** inline renders code, bold and italic spans of one line as nodes. */
export function inline(text) {
  const out = [];
  const re = new RegExp(inlineRe.source, inlineRe.flags);
  let last = 0;
  let m;
  while ((m = re.exec(text)) !== null) {
    if (m.index > last) out.push(text.slice(last, m.index));
    if (m[1] !== undefined) out.push(h('code', {}, m[1]));
    else if (m[2] !== undefined) out.push(h('strong', {}, inline(m[2])));
    else out.push(h('em', {}, inline(m[3] ?? m[4])));
    last = re.lastIndex;
  }
  if (last < text.length) out.push(text.slice(last));
  return out;
}
