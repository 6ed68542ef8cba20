/** Result and error lines: errors are alerts (read at once), results are polite status updates. */
import { html } from 'htm/preact';

export function ErrorText({ message }: { message: string | undefined }) {
  return message ? html`<p class="message error" role="alert">⚠ ${message}</p>` : null;
}

/** Always rendered, so screen readers announce the text when it changes. */
export function StatusText({ message }: { message: string | undefined }) {
  return html`<p class="message status" role="status">${message ?? ''}</p>`;
}

/** The outcome of an action: its result, or the server's error text. */
export type Outcome = { ok: true; text: string } | { ok: false; text: string } | undefined;

export function OutcomeText({ outcome }: { outcome: Outcome }) {
  if (outcome && !outcome.ok) return html`<${ErrorText} message=${outcome.text} />`;
  return html`<${StatusText} message=${outcome?.text} />`;
}
