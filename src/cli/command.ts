/** A CLI command: argv in, exit status out. Commands stay thin: parse flags, call the library, print. */
export interface Command {
  /** Name as typed, e.g. `run`, or a group with subcommands, e.g. `traces`. */
  name: string;
  /** One line for `perfloop --help`. */
  summary: string;
  /** Full usage text for `perfloop NAME --help`. */
  usage: string;
  run(argv: string[]): Promise<number>;
}
