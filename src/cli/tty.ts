// Whether the terminal gets colour and progress bars: only a TTY, and never with NO_COLOR set (no-color.org).
export function useColour(stream: NodeJS.WriteStream = process.stdout): boolean {
  return stream.isTTY === true && !process.env['NO_COLOR'];
}

export function interactive(stream: NodeJS.WriteStream = process.stderr): boolean {
  return stream.isTTY === true;
}
