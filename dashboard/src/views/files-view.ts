/**
 * Files: one search box (a path starting with `/` opens that folder, anything else is a damas query,
 * or a search_mongo filter when asked), breadcrumbs and subfolders, the files × sites table, and the
 * panel of the file opened.
 */
import { html } from 'htm/preact';
import { useEffect, useMemo, useState } from 'preact/hooks';
import { errorMessage, isStatus } from '../api.js';
import { FilePanel } from '../components/file-panel.js';
import { FileTable } from '../components/file-table.js';
import { ErrorText } from '../components/message.js';
import { Legend } from '../components/state-cell.js';
import { FileList } from '../file-list.js';
import { formatCount } from '../format.js';
import {
  ancestors,
  parentFolder,
  parseSearch,
  searchText,
  subfolders,
  subtreeFilter,
  type Listing,
  type Route,
} from '../listing.js';
import type { Session } from '../session.js';

interface Props {
  session: Session;
  listing: Listing;
  navigate: (route: Route) => void;
}

const open = (listing: Listing): Route => ({ view: 'files', listing });

/** The site columns; undefined until known. */
function useSites(session: Session): string[] | undefined {
  const [sites, setSites] = useState<string[]>();
  useEffect(() => {
    session.siteNames
      .get()
      .then(setSites)
      .catch(() => setSites([]));
  }, [session]);
  return sites;
}

/**
 * The direct subfolders of a folder, from a path-prefix search of everything below it, asked once
 * the first rows show. At the root that search is a scan of every node: only on request.
 */
function useSubfolders(session: Session, folder: string | undefined, ready: boolean) {
  const [state, setState] = useState<{ folders?: string[]; error?: string }>({});
  const [asked, setAsked] = useState(false);
  useEffect(() => setAsked(false), [folder]);
  useEffect(() => {
    setState({});
    if (folder === undefined || !ready || (folder === '/' && !asked)) return;
    let stopped = false;
    session.api
      .run((c) => c.searchMongo({ query: subtreeFilter(folder), sort: { _id: 1 }, limit: 0 }))
      .then((reply) => !stopped && setState({ folders: subfolders(folder, reply.ids) }))
      .catch((error: unknown) => !stopped && setState({ error: errorMessage(error) }));
    return () => {
      stopped = true;
    };
  }, [session, folder, ready, asked]);
  return { ...state, ask: folder === '/' && !asked ? () => setAsked(true) : undefined };
}

function SearchForm({
  listing,
  onSubmit,
}: {
  listing: Listing;
  onSubmit: (text: string, mongo: boolean) => void;
}) {
  const [text, setText] = useState(searchText(listing));
  const [mongo, setMongo] = useState(listing.kind === 'mongo');
  useEffect(() => {
    setText(searchText(listing));
    setMongo(listing.kind === 'mongo');
  }, [listing]);
  return html`<form
    role="search"
    class="search"
    onSubmit=${(event: Event) => {
      event.preventDefault();
      onSubmit(text, mongo);
    }}
  >
    <label for="search-box">Folder or search</label>
    <input
      id="search-box"
      type="search"
      value=${text}
      spellcheck=${false}
      aria-describedby="search-help"
      placeholder=${mongo ? '{"origin": "paris"}' : '/proj/shot01/  or  origin:paris'}
      onInput=${(e: Event) => setText((e.target as HTMLInputElement).value)}
    />
    <label class="check">
      <input
        type="checkbox"
        checked=${mongo}
        onChange=${(e: Event) => setMongo((e.target as HTMLInputElement).checked)}
      />
      Mongo filter (JSON)
    </label>
    <button type="submit">Go</button>
    <p id="search-help" class="muted small">
      A path starting with / opens that folder; anything else is a damas query (key:value, key:/regex/,
      key>n).
    </p>
  </form>`;
}

export function FilesView({ session, listing, navigate }: Props) {
  const sites = useSites(session);
  const [formError, setFormError] = useState<string>();
  const [selected, setSelected] = useState<string>();
  /** Bumped on each change of the list: renders the view (and its table) again. */
  const [, setVersion] = useState(0);
  const key = JSON.stringify(listing);
  const list = useMemo(() => new FileList(session.api, listing), [session, key]);
  const folder = listing.kind === 'folder' ? listing.folder : undefined;

  useEffect(() => {
    const stopChanges = list.onChange(() => setVersion((n) => n + 1));
    const stopEvents = session.live.listen((event) => list.apply(event));
    void list.start();
    return () => {
      stopChanges();
      stopEvents();
      list.close();
    };
  }, [list]);

  useEffect(() => setFormError(undefined), [key]);
  const firstRowsShown = list.ready && (list.count === 0 || list.nodes.size > 0);
  const sub = useSubfolders(session, folder, firstRowsShown && !list.error);

  async function submit(text: string, mongo: boolean) {
    const parsed = parseSearch(text, mongo);
    if ('error' in parsed) return setFormError(parsed.error);
    setFormError(undefined);
    const path = text.trim();
    if (parsed.kind === 'folder' && !path.endsWith('/')) {
      // A file's path opens its folder with its panel.
      try {
        await session.api.run((c) => c.read(path));
        navigate(open({ kind: 'folder', folder: parentFolder(path) }));
        setSelected(path);
        return;
      } catch (error) {
        if (!isStatus(error, 404)) return setFormError(errorMessage(error));
      }
    }
    navigate(open(parsed));
  }

  const description =
    listing.kind === 'folder'
      ? `Folder ${listing.folder}`
      : listing.kind === 'damas'
        ? `Search ${listing.query}`
        : `Mongo filter ${JSON.stringify(listing.filter)}`;
  return html`<div class=${`files-layout${selected ? ' with-panel' : ''}`}>
    <section class="files-main" aria-labelledby="files-title">
      <h1 id="files-title">Files</h1>
      <${SearchForm} listing=${listing} onSubmit=${submit} />
      <${ErrorText} message=${formError ?? list.error} />
      ${
        folder &&
        html`<nav aria-label="Folder path" class="crumbs">
          <ol>
            ${ancestors(folder).map(
              (f) =>
                html`<li key=${f}>
                  <a href=${`#/files${encodeURI(f)}`} aria-current=${f === folder ? 'location' : undefined}>
                    ${f === '/' ? 'root' : f.slice(0, -1).split('/').pop()}
                  </a>
                </li>`,
            )}
          </ol>
        </nav>`
      }
      ${
        folder &&
        ((sub.folders?.length ?? 0) > 0 || sub.error || sub.ask) &&
        html`<nav aria-label="Subfolders" class="subfolders">
          ${
            sub.ask &&
            html`<button type="button" class="quiet" onClick=${sub.ask}>List the top-level folders</button>
              <span class="muted small"> (reads every node: may be slow on a large tracker)</span>`
          }
          ${sub.error && html`<p class="muted small">Subfolders not listed: ${sub.error}</p>`}
          ${
            sub.folders &&
            sub.folders.length > 0 &&
            html`<ul>
              ${sub.folders.map(
                (f) =>
                  html`<li key=${f}>
                    <a href=${`#/files${encodeURI(f)}`}
                      ><span aria-hidden="true">▸ </span>${f.slice(folder.length)}</a
                    >
                  </li>`,
              )}
            </ul>`
          }
        </nav>`
      }
      <div class="table-head">
        <p class="summary" aria-live="polite">
          ${!list.ready ? 'Loading…' : `${description}: ${formatCount(list.count)} files`}
        </p>
        <${Legend} />
      </div>
      <${FileTable}
        key=${key}
        list=${list}
        sites=${sites ?? []}
        sitesKnown=${sites !== undefined}
        folder=${folder}
        selected=${selected}
        onOpen=${setSelected}
      />
    </section>
    ${
      selected &&
      html`<${FilePanel}
        key=${selected}
        session=${session}
        id=${selected}
        known=${list.nodes.get(selected)}
        sites=${sites ?? []}
        onClose=${() => {
          const id = selected;
          setSelected(undefined);
          requestAnimationFrame(() =>
            document.querySelector<HTMLElement>(`tr[data-id="${CSS.escape(id)}"]`)?.focus(),
          );
        }}
      />`
    }
  </div>`;
}
