/** The command registry: one line per command; each command lives in its own file under commands/. */
import type { Command } from './command.js';

export const commands: Command[] = [];
