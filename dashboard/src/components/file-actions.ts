/**
 * What the caller's class allows on a file, through the API: lock/unlock and comment (user);
 * priority, send to a site (`sync_<site>: true`) and retry a failed transfer (editor: `update`).
 * Each shows its result or the server's error text.
 */
import { html } from 'htm/preact';
import { useState } from 'preact/hooks';
import type { Node } from '../../../client/types.js';
import { errorMessage } from '../api.js';
import { allows, type Session } from '../session.js';
import { siteState } from '../states.js';
import { OutcomeText, type Outcome } from './message.js';

interface Props {
  session: Session;
  file: Node;
  sites: string[];
  /** The node changed: re-read it. */
  onChanged: () => void;
}

/** Clears the failure so the pair is due at once (the queue re-plans it from the nodes stream). */
export const retryKeys = (site: string) => ({
  [`syncError_${site}`]: null,
  [`syncLastAttempt_${site}`]: null,
  [`syncAttempts_${site}`]: null,
  [`syncErrorMessage_${site}`]: null,
});

export function FileActions({ session, file, sites, onChanged }: Props) {
  const { api, userClass, userId } = session;
  const [outcome, setOutcome] = useState<Outcome>();
  const [busy, setBusy] = useState(false);
  const id = file._id;

  async function act(done: string, action: () => Promise<unknown>) {
    setBusy(true);
    setOutcome(undefined);
    try {
      await action();
      setOutcome({ ok: true, text: done });
      onChanged();
    } catch (error) {
      setOutcome({ ok: false, text: errorMessage(error) });
    } finally {
      setBusy(false);
    }
  }

  const update = (keys: Record<string, unknown>) => api.run((c) => c.update({ _id: id, ...keys }));
  const form = (event: Event) => {
    event.preventDefault();
    return new FormData(event.target as HTMLFormElement);
  };

  const editor = allows(userClass, 'editor');
  const lock = typeof file.lock === 'string' ? file.lock : undefined;
  const failed = sites.filter((site) => siteState(file, site) === 'error');
  const sendable = sites.filter((site) => site !== file.origin && siteState(file, site) !== 'current');
  const mine = lock !== undefined && (session.open || lock === userId?.slice(1));

  return html`<section class="actions" aria-labelledby="actions-title">
    <h3 id="actions-title">Actions</h3>
    <${OutcomeText} outcome=${outcome} />
    <div class="action-row">
      ${
        lock === undefined
          ? html`<button
              type="button"
              disabled=${busy}
              onClick=${() => act('Locked.', () => api.run((c) => c.lock(id)))}
            >
              Lock
            </button>`
          : html`<button
              type="button"
              disabled=${busy}
              title=${mine ? '' : `held by ${lock}: the tracker refuses unless it is yours`}
              onClick=${() => act('Unlocked.', () => api.run((c) => c.unlock(id)))}
            >
              Unlock
            </button>`
      }
    </div>
    ${
      editor &&
      html`<form
        class="action-row"
        key=${`priority-${String(file.sync_priority)}`}
        onSubmit=${(event: Event) => {
          const value = Number(form(event).get('priority'));
          void act(`Priority set to ${value}.`, () => update({ sync_priority: value }));
        }}
      >
        <label for="action-priority">Sync priority</label>
        <input
          id="action-priority"
          name="priority"
          type="number"
          step="1"
          defaultValue=${typeof file.sync_priority === 'number' ? file.sync_priority : 0}
          required
        />
        <button type="submit" disabled=${busy}>Set priority</button>
      </form>`
    }
    ${
      editor &&
      sendable.length > 0 &&
      html`<form
        class="action-row"
        onSubmit=${(event: Event) => {
          const site = String(form(event).get('site'));
          void act(`Sent to ${site}: it is queued there.`, () => update({ [`sync_${site}`]: true }));
        }}
      >
        <label for="action-site">Send to site</label>
        <select id="action-site" name="site">
          ${sendable.map((site) => html`<option key=${site} value=${site}>${site}</option>`)}
        </select>
        <button type="submit" disabled=${busy}>Send</button>
      </form>`
    }
    ${
      editor &&
      failed.map(
        (site) =>
          html`<div class="action-row" key=${site}>
            <button
              type="button"
              disabled=${busy}
              onClick=${() => act(`Retry at ${site} is due now.`, () => update(retryKeys(site)))}
            >
              Retry the transfer to ${site}
            </button>
          </div>`,
      )
    }
    <form
      class="action-row comment-form"
      onSubmit=${(event: Event) => {
        const target = event.target as HTMLFormElement;
        const comment = String(form(event).get('comment')).trim();
        void act('Comment added.', async () => {
          await api.run((c) => c.comment({ '#parent': id, comment }));
          target.reset();
        });
      }}
    >
      <label for="action-comment">Comment</label>
      <textarea id="action-comment" name="comment" rows="2" required></textarea>
      <button type="submit" disabled=${busy}>Add comment</button>
    </form>
  </section>`;
}

/** Whether the caller may see any action (guests see none). */
export const mayAct = (session: Session) => allows(session.userClass, 'user');
