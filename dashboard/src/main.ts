/** Entry point: reads the configuration and renders the app; a failure still shows a message. */
import { render } from 'preact';
import { html } from 'htm/preact';
import { App } from './app.js';
import { loadConfig } from './config.js';

const root = document.getElementById('app')!;
loadConfig()
  .then((config) => {
    root.textContent = ''; // the static "Loading…" line
    render(html`<${App} config=${config} />`, root);
  })
  .catch((error: unknown) => {
    root.textContent = `The dashboard could not start: ${error instanceof Error ? error.message : String(error)}`;
  });
