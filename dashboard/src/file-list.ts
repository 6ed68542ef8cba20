/**
 * The rows of the Files view: the ids of a folder or search, loaded page by page (search_mongo with
 * limit/skip), and their nodes, read in small pages only for the rows in view. Change events keep
 * the loaded nodes current and add files published into the folder shown.
 */
import type { EventFrame } from '../../client/events.js';
import type { Node } from '../../client/types.js';
import { errorMessage, isStatus, type Api } from './api.js';
import { folderFilter, parentFolder, type Listing } from './listing.js';

/** Ids per search_mongo page (about 50 bytes each). */
export const ID_PAGE = 5000;
/** Nodes per read: the rows of a screen or two. */
export const NODE_PAGE = 100;

export class FileList {
  /** One entry per row; undefined until its page of ids arrives. */
  ids: (string | undefined)[] = [];
  readonly nodes = new Map<string, Node>();
  /** Ids listed whose node no longer exists. */
  readonly gone = new Set<string>();
  /** Set once the first page of ids arrived (or failed). */
  ready = false;
  error: string | undefined;
  private readonly idPages = new Map<number, Promise<void>>();
  private readonly nodePages = new Map<number, Promise<void>>();
  private readonly listeners = new Set<() => void>();
  private closed = false;

  constructor(
    private readonly api: Api,
    readonly listing: Listing,
    /** Ids per search_mongo page: a multiple of NODE_PAGE. */
    private readonly idPage = ID_PAGE,
  ) {}

  get count(): number {
    return this.ids.length;
  }

  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  close(): void {
    this.closed = true;
    this.listeners.clear();
  }

  /** Loads the first page of ids and the nodes of the first rows. */
  async start(): Promise<void> {
    await this.loadIds(0);
    if (!this.error) await this.ensure(0, Math.min(this.count, 40));
  }

  /** Makes sure rows `start` to `end` (excluded) have their ids and nodes, loading what is missing. */
  async ensure(start: number, end: number): Promise<void> {
    if (this.closed || end <= start) return;
    const idLoads = [];
    for (let page = Math.floor(start / this.idPage); page * this.idPage < end; page++)
      idLoads.push(this.loadIds(page));
    await Promise.all(idLoads);
    const nodeLoads = [];
    for (let page = Math.floor(start / NODE_PAGE); page * NODE_PAGE < end; page++)
      nodeLoads.push(this.loadNodes(page));
    await Promise.all(nodeLoads);
  }

  /** Applies a change event to the rows. */
  apply(event: EventFrame): void {
    const { _id: id, node, op } = event;
    const listed = this.nodes.has(id) || this.isNewInFolder(id, op);
    if (!listed) return;
    if (event.truncated) {
      // Too large for an event frame: read it.
      void this.api
        .run((c) => c.read(id))
        .then((fresh) => {
          this.nodes.set(id, fresh);
          this.changed();
        })
        .catch(() => undefined);
      return;
    }
    if (op === 'delete' || !node) {
      this.nodes.delete(id);
      this.gone.add(id);
    } else {
      this.gone.delete(id);
      this.nodes.set(id, node);
      if (op === 'create' && !this.ids.includes(id)) this.insert(id);
    }
    this.changed();
  }

  /** A file created in the folder shown, once every id is loaded (else its page brings it). */
  private isNewInFolder(id: string, op: string): boolean {
    return (
      op === 'create' &&
      this.listing.kind === 'folder' &&
      id !== this.listing.folder &&
      parentFolder(id) === this.listing.folder &&
      this.ready &&
      !this.ids.includes(undefined)
    );
  }

  private insert(id: string): void {
    let low = 0;
    let high = this.ids.length;
    while (low < high) {
      const mid = (low + high) >> 1;
      if ((this.ids[mid] ?? '') < id) low = mid + 1;
      else high = mid;
    }
    this.ids.splice(low, 0, id);
    // The rows after it moved down one: a page read before may now hold a row never read.
    for (const page of this.nodePages.keys()) if ((page + 1) * NODE_PAGE > low) this.nodePages.delete(page);
  }

  private loadIds(page: number): Promise<void> {
    // A damas search answers every id at once: all its rows are page 0.
    const only = this.listing.kind === 'damas' ? 0 : page;
    return this.loadOnce(this.idPages, only, (p) => this.fetchIds(p));
  }

  private async fetchIds(page: number): Promise<void> {
    const { listing, api, idPage } = this;
    let count: number;
    let ids: string[];
    if (listing.kind === 'damas') {
      ids = await api.run((c) => c.search(listing.query));
      count = ids.length;
    } else {
      const query = listing.kind === 'folder' ? folderFilter(listing.folder) : listing.filter;
      const skip = page * idPage;
      const reply = await api.run((c) => c.searchMongo({ query, sort: { _id: 1 }, limit: idPage, skip }));
      ({ count, ids } = reply);
    }
    if (this.closed) return;
    if (!this.ready) this.ids = new Array<string | undefined>(count).fill(undefined);
    ids.forEach((id, i) => (this.ids[page * idPage + i] = id));
    this.ready = true;
    this.changed();
  }

  private loadNodes(page: number): Promise<void> {
    return this.loadOnce(this.nodePages, page, (p) => this.fetchNodes(p));
  }

  /** Loads a page once (a page that failed may be asked again); a failure shows its error. */
  private loadOnce(
    pages: Map<number, Promise<void>>,
    page: number,
    fetch: (page: number) => Promise<void>,
  ): Promise<void> {
    let load = pages.get(page);
    if (!load) {
      load = fetch(page).catch((error: unknown) => {
        pages.delete(page);
        this.error = errorMessage(error);
        this.ready = true; // a first page of ids that failed (node pages load once it arrived)
        this.changed();
      });
      pages.set(page, load);
    }
    return load;
  }

  private async fetchNodes(page: number): Promise<void> {
    const wanted = this.ids
      .slice(page * NODE_PAGE, (page + 1) * NODE_PAGE)
      .filter((id): id is string => id !== undefined && !this.nodes.has(id) && !this.gone.has(id));
    if (wanted.length === 0) return;
    let nodes: (Node | null)[];
    try {
      nodes = await this.api.run((c) => c.read(wanted));
    } catch (error) {
      if (!isStatus(error, 404)) throw error;
      nodes = wanted.map(() => null); // none of them exists any more
    }
    if (this.closed) return;
    wanted.forEach((id, i) => {
      const node = nodes[i];
      if (node) this.nodes.set(id, node);
      else this.gone.add(id);
    });
    this.changed();
  }

  private changed(): void {
    for (const listener of this.listeners) listener();
  }
}
