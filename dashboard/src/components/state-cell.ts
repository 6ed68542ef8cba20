/** A file's state at one site: colour, icon and word (it reads without colour). */
import { html } from 'htm/preact';
import type { Node } from '../../../client/types.js';
import { cellState, STATE_LEGEND } from '../states.js';

export function StateCell({ file, site }: { file: Node; site: string }) {
  const cell = cellState(file, site);
  return html`<td class=${`state state-${cell.state}`} title=${cell.title}>
    <span aria-hidden="true" class="icon">${cell.icon}</span> ${cell.label}
  </td>`;
}

export function StateBadge({ file, site }: { file: Node; site: string }) {
  const cell = cellState(file, site);
  return html`<span class=${`state state-${cell.state}`} title=${cell.title}>
    <span aria-hidden="true" class="icon">${cell.icon}</span> ${cell.label}
  </span>`;
}

export function Legend() {
  return html`<ul class="legend" aria-label="States">
    ${STATE_LEGEND.map(
      (s) =>
        html`<li key=${s.state} class=${`state state-${s.state}`}>
          <span aria-hidden="true" class="icon">${s.icon}</span> ${s.label}
        </li>`,
    )}
  </ul>`;
}
