#!/usr/bin/env node
/**
 * perfloop CLI entry: argv → command; error code → exit status (BAD_INPUT 2, BUDGET_FAILED 1, IO 4, bug 3).
 */
import { commands } from './commands.js';
import { exitCodeFor, isPerfloopError } from '../core/errors.js';

function help(): string {
  const width = Math.max(...commands.map((command) => command.name.length), 4);
  return [
    'perfloop — measure, find the bottleneck, fix, validate, repeat',
    '',
    'usage: perfloop <command> [options]   (perfloop <command> --help for details)',
    '',
    ...commands.map((command) => `  ${command.name.padEnd(width)}  ${command.summary}`),
  ].join('\n');
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(`${help()}\n`);
    return name === undefined ? 2 : 0;
  }
  if (name === '--version') {
    process.stdout.write(`${process.env.npm_package_version ?? '0.1.0'}\n`);
    return 0;
  }
  const command = commands.find((candidate) => candidate.name === name);
  if (!command) {
    process.stderr.write(`perfloop: unknown command "${name}"\n\n${help()}\n`);
    return 2;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    process.stdout.write(`${command.usage}\n`);
    return 0;
  }
  try {
    return await command.run(rest);
  } catch (error) {
    const message = isPerfloopError(error) ? error.message : error instanceof Error ? (error.stack ?? error.message) : String(error);
    process.stderr.write(`perfloop ${name}: ${message}\n`);
    return exitCodeFor(error);
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`perfloop: ${String(error)}\n`);
    process.exitCode = 3;
  },
);
