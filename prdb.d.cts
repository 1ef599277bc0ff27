#!/usr/bin/env node
/**
 * prdb: the console of a running Node.js process, with its live state, in a browser tab.
 *
 * Import this file and nothing happens but a signal handler. Later, `kill -USR1 <pid>` makes
 * the process print a URL; the page there is a terminal running a Node REPL *inside* the
 * process, on its real globals: what you change, changes. Closing the tab leaves the process
 * as it was. It is the Node version of the Python tool of the same name, written after hours
 * of training were lost for want of a way into a running process to save a checkpoint.
 *
 * One file, three roles:
 *   - target: where prdb is imported. It installs the signal handler; on the signal it forks
 *     this same file as the server child, and for each browser session it runs a
 *     `node:repl` REPLServer on a fake TTY, bridged to the child over the IPC channel.
 *   - server child: `node:http` serves client.html and upgrades `/ws` to a WebSocket
 *     (framing written here, RFC 6455), checks token, Host and Origin, and relays bytes.
 *     Being another process, it stays responsive while the target's event loop is blocked.
 *   - watchdog: a worker thread in the target, started with the server, that the child can
 *     reach while the target's main thread is busy: it reports the main thread's stack and
 *     interrupts a runaway evaluation typed in a session, and only such an evaluation.
 *
 * Zero dependencies, `node:` built-ins only, loaded on first use rather than at import, so
 * that importing prdb costs nothing until the signal.
 *
 * Sections, in order:
 *   RFC 6455 constants · limits and defaults · options · public API
 *   WebSocket framing (pure)
 *   target role: the signal, the server child and its lifecycle
 *   session role: the REPL on a fake TTY; output to the page and console capture; top-level
 *     await in steps; the program's own variables by name (module scope)
 *   JavaScript source, read and rewritten (pure): tokens, the await rewrite, declarations
 *   watchdog role (a worker thread in the target): stacks and safe interrupts
 *   server role (the child process): HTTP, WebSocket, authentication, relay
 *   command line: a WebSocket client on prdb's framing; `prdb <pid>`, list, attach, exec
 *   private helpers · for prdb's own tests · entry: which role this process plays
 */
export type PrdbOptions = {
    /** Address to listen on. Default `'127.0.0.1'`. Anything but loopback prints a warning. */
    host?: string;
    /** TCP port; `0` picks a free one. Default `4242` (if busy, another free port is used). */
    port?: number;
    /** Serve on this unix domain socket path (mode 0600) instead of TCP, e.g. for `ssh -L`. */
    socketPath?: string;
    /** The signal that starts the console. Default `'SIGUSR1'`. */
    signal?: NodeJS.Signals;
    /** Extra names allowed in the Host header, e.g. a name that resolves to `host`. Default `[]`. */
    allowedHosts?: string[];
    /** PEM key and certificate: serve `https:`/`wss:` instead of `http:`/`ws:`. Default none. */
    tls?: {
        key: string | Buffer;
        cert: string | Buffer;
    };
    /** Simultaneous sessions (browser tabs). Default `8`. */
    maxSessions?: number;
    /** Milliseconds with no session after which the server stops; `0` never. Default 5 minutes. */
    idleTimeout?: number;
    /** Largest message accepted from a page, in bytes; larger closes with 1009. Default 1 MiB. */
    maxMessageSize?: number;
    /** Milliseconds between keepalive pings; a page silent for two is dropped. Default 15000. */
    keepaliveInterval?: number;
    /** Lines of output the page keeps to scroll back to and search. Default 50,000. */
    scrollback?: number;
    /** Write the URL to an owner-only file (see `urlFilePath`). Default `true`. */
    urlFile?: boolean;
    /**
     * Print the URL, with its token, on stderr when the server starts. `false` prints only where
     * to read it (the URL file), for programs whose stderr goes to shared logs. Default `true`.
     */
    printToken?: boolean;
    /**
     * Bytes of output a session holds while its page is slower than the program; beyond this the
     * oldest is dropped, with a notice where the gap is. Default 64 MiB.
     */
    maxOutputBuffer?: number;
    /**
     * Milliseconds a session waits for its page to come back (a reload, a dropped tunnel) before
     * it ends; `0` ends it with its WebSocket. Default 5 minutes.
     */
    reattachTimeout?: number;
    /**
     * File that keeps the REPL history across processes (owner-only), or `false` for none: then
     * history lasts as long as the process. Default `~/.prdb_repl_history`, or `$PRDB_REPL_HISTORY`
     * (empty for none).
     */
    historyFile?: string | false;
    /** Show what the typed line evaluates to, grayed, while it is typed (Node's REPL preview). Default `true`. */
    preview?: boolean;
};
/**
 * Installs (or replaces) the handler of `options.signal` that starts the console. Importing
 * prdb calls it once with the defaults; call it again to change them.
 */
export declare function setSignalHandler(options?: PrdbOptions): void;
/**
 * Removes prdb's signal handler; a running server keeps running until `stop()`. The signal
 * then does what it does without prdb, and never kills the process: see onReleasedSignal.
 */
export declare function removeSignalHandler(): void;
/**
 * Starts the console server now, as the signal would, and resolves with its URL (the same
 * server and URL if it runs already). Options given here replace those of `setSignalHandler`.
 */
export declare function start(options?: PrdbOptions): Promise<string>;
/** Stops the console server and ends its sessions; the target carries on. */
export declare function stop(): Promise<void>;
/**
 * Makes values reachable by name in every session, for what prdb cannot find by itself: a
 * variable that no live function uses, state inside an object nothing names. An object's
 * getters stay live and its setters make the name assignable:
 * `expose({ get step() { return step }, set step(value) { step = value } })`. Exposed names
 * win over the program's variables; the program's globalThis does not get them.
 */
export declare function expose(name: string, value: unknown): void;
export declare function expose(values: object): void;
/** Whether the console runs, at which URL, and how many sessions are open in this process. */
export declare function status(): {
    url: string | null;
    sessions: number;
};
/** Where prdb writes the URL for process `pid`: a file only its owner can read. */
export declare function urlFilePath(pid?: number): string;
