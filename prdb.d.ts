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
 */
/** §5.2 opcodes; 0x3-0x7 and 0xB-0xF are reserved and fail the connection. */
export declare const OPCODE_CONTINUATION = 0;
export declare const OPCODE_TEXT = 1;
export declare const OPCODE_BINARY = 2;
export declare const OPCODE_CLOSE = 8;
export declare const OPCODE_PING = 9;
export declare const OPCODE_PONG = 10;
/** §7.4.1 close codes that prdb sends. */
export declare const CLOSE_NORMAL = 1000;
export declare const CLOSE_GOING_AWAY = 1001;
export declare const CLOSE_PROTOCOL_ERROR = 1002;
export declare const CLOSE_INVALID_PAYLOAD = 1007;
export declare const CLOSE_POLICY_VIOLATION = 1008;
export declare const CLOSE_MESSAGE_TOO_BIG = 1009;
export declare const CLOSE_INTERNAL_ERROR = 1011;
export declare const CLOSE_TRY_AGAIN_LATER = 1013;
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
    /** Write the URL to an owner-only file (see `urlFilePath`). Default `true`. */
    urlFile?: boolean;
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
/** A failure that must fail the WebSocket connection with `code` (§7.1.7). */
export declare class WebSocketError extends Error {
    code: number;
    constructor(code: number, message: string);
}
export type FrameOptions = {
    /** One of the OPCODE_ constants. */
    opcode: number;
    /** Payload bytes (unmasked). */
    payload: Uint8Array;
    /** Last fragment of its message. Default `true`. */
    fin?: boolean;
    /** 4-byte masking key: clients must mask (§5.3), servers must not. Default none. */
    mask?: Uint8Array;
};
/** Encodes one frame (§5.2). */
export declare function encodeFrame(options: FrameOptions): Buffer;
/** Encodes a close frame: a code and a UTF-8 reason of at most 123 bytes (§5.5.1). */
export declare function encodeCloseFrame(options: {
    code: number;
    reason?: string;
    mask?: Uint8Array;
}): Buffer;
/** What a `MessageReader` yields: whole messages and control frames. */
export type WebSocketEvent = {
    type: 'text';
    data: string;
} | {
    type: 'binary';
    data: Buffer;
} | {
    type: 'ping';
    data: Buffer;
} | {
    type: 'pong';
    data: Buffer;
} | {
    type: 'close';
    code: number | null;
    reason: string;
};
export type MessageReaderOptions = {
    /** Frames from clients must be masked, frames from servers must not (§5.1). */
    expectMasked: boolean;
    /** Largest message, in bytes; more fails with 1009. */
    maxMessageSize: number;
    /** Most fragments in one message; more fails with 1008. Default 1024. */
    maxFragments?: number;
};
/**
 * Parses a byte stream into messages (§5): `push(chunk)` yields what the new bytes complete,
 * and throws `WebSocketError` at the first byte that breaks the protocol, before buffering a
 * payload that could never be valid. Fragmented messages are reassembled, and text is checked
 * for UTF-8 as its bytes arrive, so invalid text fails as early as §8.1 asks.
 */
export declare class MessageReader {
    expectMasked: boolean;
    maxMessageSize: number;
    maxFragments: number;
    private state;
    private chunks;
    private bufferedBytes;
    private fin;
    private opcode;
    private masked;
    private payloadLength;
    private maskKey;
    private payloadOffset;
    private framePieces;
    /** Opcode of the data message being reassembled, or -1 between messages. */
    private messageOpcode;
    private messagePieces;
    private messageBytes;
    private fragments;
    private textDecoder;
    private textParts;
    private closed;
    constructor(options: MessageReaderOptions);
    push(chunk: Buffer): Generator<WebSocketEvent>;
    private parse;
    /** §5.2 base header: every rule that needs no payload is checked here. */
    private readHeader;
    private setPayloadLength;
    private acceptPayloadPiece;
    private finishFrame;
    /** Removes `count` buffered bytes; copies only when they span chunks. */
    private take;
}
/** §7.4.1 and the IANA registry: 1004-1006 and 1015 must never be sent; 3000-4999 are free. */
export declare function isValidCloseCode(code: number): boolean;
/** §4.2.2: the value of Sec-WebSocket-Accept for a client's Sec-WebSocket-Key. */
export declare function acceptKey(key: string): string;
/**
 * Rewrites input that uses `await` at the top level into the body of a generator function
 * (`await x` becomes `(yield x)`), with declarations hoisted the way Node's REPL hoists them
 * (lib/internal/repl/await.js): `var` and function declarations anywhere outside functions
 * and top-level `let`, `const` and `class` become assignments to declarations made before
 * the generator, so they outlive the evaluation as they would at the prompt; the value of a
 * last expression statement is returned. Answers null for input without a top-level `await`
 * and for input it does not handle (`for await`, a top-level `return`, a module declaration,
 * incomplete input): that input is run as typed. With `requireAwait: false`, input without
 * one is rewritten too: the session scope hoists declarations the same way.
 */
export declare function rewriteTopLevelAwait(source: string, { requireAwait }?: {
    requireAwait?: boolean;
}): {
    hoisted: string;
    body: string;
} | null;
