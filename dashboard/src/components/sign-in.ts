/** The sign-in form of jwt mode: the session token is kept for this tab only (sessionStorage). */
import { html } from 'htm/preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { errorMessage, type Api } from '../api.js';
import { ErrorText } from './message.js';

interface Props {
  api: Api;
  /** Why the form is shown (an expired session…). */
  reason: string | undefined;
  onToken: (token: string) => void;
}

export function SignIn({ api, reason, onToken }: Props) {
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);
  const user = useRef<HTMLInputElement>(null);
  useEffect(() => user.current?.focus(), []);

  async function submit(event: Event) {
    event.preventDefault();
    const form = new FormData(event.target as HTMLFormElement);
    setBusy(true);
    setError(undefined);
    try {
      const reply = await api.client.signIn(
        String(form.get('username')),
        String(form.get('password')),
        '12h',
      );
      onToken(reply.body.token);
    } catch (failure) {
      setError(errorMessage(failure));
      setBusy(false);
    }
  }

  return html`
    <main id="main" class="sign-in">
      <form onSubmit=${submit} aria-labelledby="sign-in-title">
        <h1 id="sign-in-title">Sign in to SyncPlanet</h1>
        ${reason && html`<p class="message notice">${reason}</p>`}
        <label for="sign-in-user">User name</label>
        <input id="sign-in-user" ref=${user} name="username" autocomplete="username" required />
        <label for="sign-in-password">Password</label>
        <input
          id="sign-in-password"
          name="password"
          type="password"
          autocomplete="current-password"
          required
        />
        <button type="submit" disabled=${busy}>${busy ? 'Signing in…' : 'Sign in'}</button>
        <${ErrorText} message=${error} />
      </form>
    </main>
  `;
}
