import cliProgress from 'cli-progress';
import type { MoveProgress } from '../client/index.js';
import type { CliContext } from './cli-context.js';
import { formatBytes, formatDuration, formatPercent, formatRate } from './format.js';

/** One bar: what it is about, its progress, and whether that work is over. */
export interface ProgressView {
  label: string;
  progress: MoveProgress;
  done: boolean;
  /** Short state shown after the figures (e.g. "draining"). */
  note?: string;
}

export interface Poll<T> {
  fetch: () => Promise<T>;
  views: (value: T) => ProgressView[];
  /** The readable report printed once (without --watch) and at the end (with it). */
  render: (value: T) => string;
  /** What --json prints of an answer; default the answer itself. */
  toJson?: (value: T) => unknown;
}

/** `label  45.0%  1.2 GiB/2.0 GiB  100 MiB/s  ETA 8s  chunks 12/30  limit 8.0 MiB/s  (note)`: one line of figures. */
export function progressLine(view: ProgressView): string {
  const p = view.progress;
  const fraction = p.bytesTotal > 0 ? p.bytesDone / p.bytesTotal : view.done ? 1 : 0;
  const parts = [
    view.label,
    formatPercent(fraction),
    `${formatBytes(p.bytesDone)}/${formatBytes(p.bytesTotal)}`,
    formatRate(p.rateBytesPerSec),
    `ETA ${view.done ? '0s' : formatDuration(p.etaSeconds)}`,
    `chunks ${p.chunksDone}/${p.chunksTotal}`,
  ];
  if (p.failures > 0) parts.push(`failures ${p.failures}`);
  if (p.limitBytesPerSec !== undefined && !view.done) parts.push(`limit ${formatRate(p.limitBytesPerSec)}`);
  if (view.note !== undefined) parts.push(`(${view.note})`);
  return parts.join('  ');
}

/**
 * Without --watch: print once. With it: poll every interval, drawing progress bars (bytes done/total,
 * rate, ETA) on a terminal or one line per bar per poll elsewhere, until every view is done; then print
 * the report. With --json each poll prints the raw answer as one line.
 */
export async function showProgress<T>(ctx: CliContext, poll: Poll<T>, watch: boolean): Promise<T> {
  const toJson = poll.toJson ?? ((v: T) => v);
  let value = await poll.fetch();
  if (!watch) {
    if (ctx.json) ctx.printJson(toJson(value));
    else ctx.out(poll.render(value));
    return value;
  }
  const bars = ctx.json ? undefined : BarSet.open(ctx);
  try {
    for (;;) {
      const views = poll.views(value);
      if (ctx.json) ctx.out(JSON.stringify(toJson(value)));
      else if (bars !== undefined) bars.draw(views);
      else for (const view of views) ctx.out(progressLine(view));
      if (views.every((v) => v.done) || ctx.io.signal?.aborted === true) break;
      await ctx.io.sleep(ctx.io.watchIntervalMs);
      value = await poll.fetch();
    }
  } finally {
    bars?.stop();
  }
  if (!ctx.json) ctx.out(poll.render(value));
  return value;
}

/** cli-progress bars, only on a terminal (they redraw in place). */
class BarSet {
  private readonly multi: cliProgress.MultiBar;
  private readonly bars = new Map<string, cliProgress.SingleBar>();

  private constructor(stream: NodeJS.WritableStream) {
    this.multi = new cliProgress.MultiBar(
      {
        stream,
        // Payload names must not be cli-progress's own tokens (eta, value, total, ...), which win over them.
        format: '{label} {bar} {percentage}% | {done}/{size} | {speed} | ETA {remaining}{note}',
        hideCursor: true,
        clearOnComplete: false,
        barsize: 20,
      },
      cliProgress.Presets.shades_classic,
    );
  }

  static open(ctx: CliContext): BarSet | undefined {
    return ctx.io.stdout.isTTY === true ? new BarSet(ctx.io.stdout as unknown as NodeJS.WritableStream) : undefined;
  }

  draw(views: ProgressView[]): void {
    const width = Math.max(...views.map((v) => v.label.length));
    for (const view of views) {
      const p = view.progress;
      const total = Math.max(1, p.bytesTotal);
      const payload = {
        label: view.label.padEnd(width),
        done: formatBytes(p.bytesDone),
        size: formatBytes(p.bytesTotal),
        speed: formatRate(p.rateBytesPerSec) + (p.limitBytesPerSec !== undefined && !view.done ? ` (limit ${formatRate(p.limitBytesPerSec)})` : ''),
        remaining: view.done ? '0s' : formatDuration(p.etaSeconds),
        note: view.note === undefined ? '' : ` | ${view.note}`,
      };
      const value = view.done && p.bytesTotal === 0 ? total : p.bytesDone;
      const bar = this.bars.get(view.label);
      if (bar === undefined) {
        this.bars.set(view.label, this.multi.create(total, value, payload));
      } else {
        bar.setTotal(total);
        bar.update(value, payload);
      }
    }
  }

  stop(): void {
    this.multi.stop();
  }
}
