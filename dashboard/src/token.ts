/** The session token of jwt mode, kept for this tab only (sessionStorage). */
const TOKEN_KEY = 'syncplanet.token';

export const savedToken = () => sessionStorage.getItem(TOKEN_KEY) ?? undefined;

export function saveToken(token: string | undefined): void {
  if (token) sessionStorage.setItem(TOKEN_KEY, token);
  else sessionStorage.removeItem(TOKEN_KEY);
}
