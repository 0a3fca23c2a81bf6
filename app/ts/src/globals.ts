// Anchor's coder encodes through @coral-xyz/borsh and buffer-layout, which call the global
// `Buffer` (`Buffer.isBuffer`, `bn.toArrayLike(Buffer)`) when an instruction is encoded. Node has
// one; a browser does not, and an app would have to install `buffer` and assign
// `globalThis.Buffer` before its first deposit. This module, imported first by the package's
// entry points, assigns the `buffer` package's `Buffer` (a dependency of this package) when there
// is no global one, and leaves an existing one alone.
import { Buffer } from "buffer";

const g = globalThis as { Buffer?: unknown };
if (typeof g.Buffer === "undefined") g.Buffer = Buffer;
