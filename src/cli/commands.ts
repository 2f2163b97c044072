/** The command registry: one line per command; each command lives in its own file under commands/. */
import type { Command } from './command.js';
import { reportCommand } from './commands/report.js';

export const commands: Command[] = [reportCommand];
