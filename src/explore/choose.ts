// Resolve an index against the actions enabled in the current state: a kind first (uniformly among the
// kinds enabled), then an instance of it. Rare kinds (a driver's callback step) are not drowned by common
// ones (a CPU access to every page), and no generated choice is ever skipped while something is enabled.
// Swarm testing: a run may switch some kinds off (`off`), so that rare interleavings are not drowned by
// common actions; if every enabled action is switched off, the switch is ignored.
export function choose<A>(
  acts: readonly A[],
  kind: (a: A) => string,
  choice: number,
  off?: ReadonlySet<string>,
  group?: (a: A) => string,
): A | undefined {
  if (acts.length === 0) return undefined;
  let pool = acts;
  if (off && off.size > 0) {
    const on = acts.filter((a) => !off.has(kind(a)));
    if (on.length > 0) pool = on;
  }
  if (group) {
    // First a group (an actor class), uniformly among those enabled: user space offers many more kinds
    // of action than the kernel and the device, and would otherwise crowd out their steps.
    const groups: string[] = [];
    for (const a of pool) {
      const g = group(a);
      if (!groups.includes(g)) groups.push(g);
    }
    const g = groups[choice % groups.length]!;
    pool = pool.filter((a) => group(a) === g);
    choice = Math.floor(choice / groups.length);
  }
  const kinds: string[] = [];
  for (const a of pool) {
    const k = kind(a);
    if (!kinds.includes(k)) kinds.push(k);
  }
  const k = kinds[choice % kinds.length]!;
  let n = 0;
  for (const a of pool) if (kind(a) === k) n++;
  let want = Math.floor(choice / kinds.length) % n;
  for (const a of pool) if (kind(a) === k && want-- === 0) return a;
  return undefined;
}

/** The kinds a swarm mask switches off: bit i of `mask` switches off the i-th of `swarmable`. */
export function swarmOff(swarmable: readonly string[], mask: number): Set<string> {
  const off = new Set<string>();
  swarmable.forEach((k, i) => {
    if ((mask >>> i) & 1) off.add(k);
  });
  return off;
}
