// Shell completion scripts for bash, zsh and fish, generated from the commands' option tables.
import type { Command } from './context';

/** Each command (and `command subcommand`) with its flags, from the option tables. */
function table(commands: Record<string, Command>): Array<{ path: string[]; flags: string[]; subs: string[] }> {
  const rows: Array<{ path: string[]; flags: string[]; subs: string[] }> = [];
  const flagsOf = (c: Command) =>
    Object.entries(c.options).flatMap(([n, d]) => [`--${n}`, ...(d.short ? [`-${d.short}`] : [])]);
  for (const [name, cmd] of Object.entries(commands)) {
    rows.push({ path: [name], flags: flagsOf(cmd), subs: Object.keys(cmd.subcommands ?? {}) });
    for (const [sub, s] of Object.entries(cmd.subcommands ?? {}))
      rows.push({ path: [name, sub], flags: flagsOf(s), subs: [] });
  }
  return rows;
}

const names = (commands: Record<string, Command>) => ['help', ...Object.keys(commands)];

export function bashCompletion(commands: Record<string, Command>): string {
  const cases = table(commands).map(
    (r) => `    ${JSON.stringify(r.path.join(' '))}) words=${JSON.stringify([...r.subs, ...r.flags].join(' '))} ;;`,
  );
  return `# slipway completion for bash: source it, or save it as /etc/bash_completion.d/slipway
_slipway() {
  local cur cmd i w words
  cur="\${COMP_WORDS[COMP_CWORD]}"
  cmd=""
  for ((i = 1; i < COMP_CWORD; i++)); do
    w="\${COMP_WORDS[i]}"
    case "$w" in
      -*) ;;
      *) if [[ -z "$cmd" ]]; then cmd="$w"; elif [[ "$cmd" != *" "* ]]; then cmd="$cmd $w"; fi ;;
    esac
  done
  case "$cmd" in
    "") words=${JSON.stringify(names(commands).join(' '))} ;;
${cases.join('\n')}
    "help") words=${JSON.stringify(Object.keys(commands).join(' '))} ;;
    *) words="" ;;
  esac
  COMPREPLY=($(compgen -W "$words" -- "$cur"))
}
complete -o default -F _slipway slipway
`;
}

export function zshCompletion(commands: Record<string, Command>): string {
  const cases = table(commands).map(
    (r) => `    ${JSON.stringify(r.path.join(' '))}) cands=(${[...r.subs, ...r.flags].join(' ')}) ;;`,
  );
  return `#compdef slipway
# slipway completion for zsh: save it as _slipway in a folder of $fpath
_slipway() {
  local cmd="" w
  local -a cands
  for w in \${words[2,CURRENT-1]}; do
    [[ $w == -* ]] && continue
    if [[ -z $cmd ]]; then cmd=$w; elif [[ $cmd != *" "* ]]; then cmd="$cmd $w"; fi
  done
  case $cmd in
    "") cands=(${names(commands).join(' ')}) ;;
${cases.join('\n')}
    help) cands=(${Object.keys(commands).join(' ')}) ;;
    *) cands=() ;;
  esac
  compadd -a cands
}
compdef _slipway slipway
`;
}

export function fishCompletion(commands: Record<string, Command>): string {
  const top = names(commands);
  const lines = [
    `# slipway completion for fish: save it as ~/.config/fish/completions/slipway.fish`,
    'complete -c slipway -f',
  ];
  lines.push(`complete -c slipway -n '__fish_use_subcommand' -a '${top.join(' ')}'`);
  lines.push(`complete -c slipway -n '__fish_seen_subcommand_from help' -a '${Object.keys(commands).join(' ')}'`);
  for (const r of table(commands)) {
    const cond =
      r.path.length === 1
        ? `__fish_seen_subcommand_from ${r.path[0]}`
        : `__fish_seen_subcommand_from ${r.path[0]}; and __fish_seen_subcommand_from ${r.path[1]}`;
    if (r.subs.length) lines.push(`complete -c slipway -n '${cond}' -a '${r.subs.join(' ')}'`);
    const cmd = r.path.length === 1 ? commands[r.path[0]] : commands[r.path[0]].subcommands![r.path[1]];
    for (const [n, d] of Object.entries(cmd.options)) {
      const help = d.help.replace(/'/g, "\\'");
      lines.push(
        `complete -c slipway -n '${cond}' -l ${n}${d.short ? ` -s ${d.short}` : ''}${d.type === 'string' ? ' -r' : ''} -d '${help}'`,
      );
    }
  }
  return `${lines.join('\n')}\n`;
}
