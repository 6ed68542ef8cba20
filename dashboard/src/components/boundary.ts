/** Catches a view that fails to render, so the page shows what went wrong instead of going blank. */
import { Component, type ComponentChildren } from 'preact';
import { html } from 'htm/preact';

interface Props {
  /** Changing it (another view) clears the error. */
  resetKey: string;
  children?: ComponentChildren;
}

export class Boundary extends Component<Props, { error: string | undefined; key: string }> {
  override state = { error: undefined as string | undefined, key: this.props.resetKey };

  static override getDerivedStateFromProps(props: Props, state: { error: string | undefined; key: string }) {
    return props.resetKey === state.key ? null : { error: undefined, key: props.resetKey };
  }

  override componentDidCatch(error: unknown): void {
    console.error('dashboard view failed', error);
    this.setState({ error: error instanceof Error ? error.message : String(error) });
  }

  override render() {
    if (!this.state.error) return this.props.children;
    return html`<div class="message error" role="alert">
      This view failed: ${this.state.error}.
      <button type="button" onClick=${() => this.setState({ error: undefined })}>Try again</button>
    </div>`;
  }
}
