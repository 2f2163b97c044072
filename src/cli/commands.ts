/** The command registry: one line per command; each command lives in its own file under commands/. */
import type { Command } from './command.js';
import { demoCommand } from './commands/demo.js';
import { mergeCommand } from './commands/merge.js';
import { runCommand } from './commands/run.js';
import { reportCommand } from './commands/report.js';
import { tracesCommand } from './commands/traces.js';
import { receiveCommand } from './commands/receive.js';
import { labCommand } from './commands/lab.js';
import { sweepCommand } from './commands/sweep.js';
import { uslCommand } from './commands/usl.js';
import { compareCommand } from './commands/compare.js';
import { checkCommand } from './commands/check.js';
import { historyCommand } from './commands/history.js';
import { profileCommand } from './commands/profile.js';

export const commands: Command[] = [demoCommand, runCommand, mergeCommand, reportCommand, tracesCommand, receiveCommand, labCommand, sweepCommand, uslCommand, compareCommand, checkCommand, historyCommand, profileCommand];
