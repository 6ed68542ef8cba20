/**
 * A file's panel: lock holder, per-site state and times, publish history and comments (children
 * with `#parent`), every key, and the actions the caller may take. Kept current by change events.
 */
import { html } from 'htm/preact';
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import type { Node } from '../../../client/types.js';
import { errorMessage } from '../api.js';
import { formatBytes, formatShortTime, formatTime, formatValue } from '../format.js';
import type { Session } from '../session.js';
import { FileActions, mayAct } from './file-actions.js';
import { ErrorText } from './message.js';
import { StateBadge } from './state-cell.js';

const CHILDREN = 50;
const SITE_KEY =
  /^(synced|syncing|syncError|syncErrorMessage|syncLastAttempt|syncAttempts|syncLease|modified|missing|sync)_(.+)$/;

interface Props {
  session: Session;
  id: string;
  /** The node as the list has it (may be undefined until read). */
  known: Node | undefined;
  sites: string[];
  onClose: () => void;
}

function SiteTimes({ file, sites }: { file: Node; sites: string[] }) {
  const t = (key: string) => html`<span title=${formatTime(file[key])}>${formatShortTime(file[key])}</span>`;
  const transfer = (site: string) =>
    file[`syncing_${site}`] !== undefined
      ? html`started ${t(`syncing_${site}`)}`
      : file[`syncLastAttempt_${site}`] !== undefined
        ? html`failed ${t(`syncLastAttempt_${site}`)}`
        : '—';
  return html`<table class="site-times">
    <caption>
      State at each site
    </caption>
    <thead>
      <tr>
        <th scope="col">Site</th>
        <th scope="col">State</th>
        <th scope="col">Synced</th>
        <th scope="col">Transfer</th>
      </tr>
    </thead>
    <tbody>
      ${sites.map(
        (site) =>
          html`<tr key=${site}>
            <th scope="row">${site}${site === file.origin ? html` <small>(origin)</small>` : ''}</th>
            <td><${StateBadge} file=${file} site=${site} /></td>
            <td>${t(`synced_${site}`)}</td>
            <td>${transfer(site)}</td>
          </tr>`,
      )}
    </tbody>
  </table>`;
}

function History({ items }: { items: Node[] | undefined }) {
  if (!items) return html`<p class="muted">Loading history…</p>`;
  if (items.length === 0) return html`<p class="muted">No history or comments.</p>`;
  return html`<ol class="history">
    ${items.map((child) => {
      const published = 'origin' in child;
      return html`<li key=${child._id}>
        <span class=${`kind ${published ? 'kind-publish' : 'kind-comment'}`}
          >${published ? 'version' : 'comment'}</span
        >
        <time>${formatTime(child.time)}</time>
        <span class="author">${formatValue(child.author ?? '')}</span>
        ${child.comment !== undefined && html`<q>${formatValue(child.comment)}</q>`}
        ${published && typeof child.file_size === 'number' && html` <small>${formatBytes(child.file_size)}</small>`}
      </li>`;
    })}
  </ol>`;
}

function Keys({ file }: { file: Node }) {
  const keys = Object.keys(file).sort(
    (a, b) => Number(SITE_KEY.test(a)) - Number(SITE_KEY.test(b)) || a.localeCompare(b),
  );
  return html`<details class="keys">
    <summary>All keys (${keys.length})</summary>
    <dl>
      ${keys.map(
        (key) =>
          html`<div key=${key}>
            <dt>${key}</dt>
            <dd>${formatValue(file[key])}</dd>
          </div>`,
      )}
    </dl>
  </details>`;
}

export function FilePanel({ session, id, known, sites, onClose }: Props) {
  const { api, live } = session;
  const [file, setFile] = useState<Node | undefined>(known);
  const [children, setChildren] = useState<Node[]>();
  const [error, setError] = useState<string>();
  const heading = useRef<HTMLHeadingElement>(null);

  const reload = useCallback(async () => {
    try {
      setFile(await api.run((c) => c.read(id)));
      const { ids } = await api.run((c) =>
        c.searchMongo({ query: { '#parent': id }, sort: { time: -1 }, limit: CHILDREN }),
      );
      const nodes = ids.length ? await api.run((c) => c.read(ids)) : [];
      setChildren(nodes.filter((n): n is Node => n !== null));
      setError(undefined);
    } catch (failure) {
      setError(errorMessage(failure));
    }
  }, [api, id]);

  useEffect(() => {
    setFile(known);
    setChildren(undefined);
    void reload();
    heading.current?.focus();
    return live.listen((event) => {
      if (event._id === id && event.node) setFile(event.node);
      else if (event._id === id && event.truncated) void reload();
      else if (event.node?.['#parent'] === id) void reload();
    });
  }, [id]);

  return html`<aside
    class="panel"
    aria-labelledby="panel-title"
    onKeyDown=${(e: KeyboardEvent) => e.key === 'Escape' && onClose()}
  >
    <header>
      <h2 id="panel-title" tabindex="-1" ref=${heading}>${id}</h2>
      <button type="button" class="quiet" onClick=${onClose} aria-label="Close the file panel">✕</button>
    </header>
    <${ErrorText} message=${error} />
    ${
      file &&
      html`
        <p class="facts-line">
          ${[
            formatBytes(file.file_size as number),
            formatTime(file.time),
            `from ${formatValue(file.origin ?? '—')}`,
            `priority ${formatValue(file.sync_priority ?? 0)}`,
          ].join(' · ')}
        </p>
        <p class=${typeof file.lock === 'string' ? 'lock-line locked' : 'lock-line'}>
          ${typeof file.lock === 'string' ? `Locked by ${file.lock}` : 'Not locked'}
        </p>
        ${mayAct(session) && html`<${FileActions} session=${session} file=${file} sites=${sites} onChanged=${reload} />`}
        <${SiteTimes} file=${file} sites=${sites} />
        <h3>History and comments</h3>
        <${History} items=${children} />
        <${Keys} file=${file} />
      `
    }
  </aside>`;
}
