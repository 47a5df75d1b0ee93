/** A Dockerfile as instructions grouped by build stage (continuation lines joined, comments dropped). */
export interface Instruction {
  keyword: string;
  args: string;
}

export interface Stage {
  from: string;
  name: string | undefined;
  instructions: Instruction[];
}

export interface ParsedDockerfile {
  args: Map<string, string>;
  stages: Stage[];
}

export function parseDockerfile(text: string): ParsedDockerfile {
  const logical = text
    .split('\n')
    .filter((line) => !/^\s*#/.test(line))
    .join('\n')
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '');
  const args = new Map<string, string>();
  const stages: Stage[] = [];
  for (const line of logical) {
    const [keyword = '', ...rest] = line.split(/\s+/);
    const instruction = { keyword: keyword.toUpperCase(), args: rest.join(' ') };
    if (instruction.keyword === 'FROM') {
      const [image = '', as, name] = rest;
      const resolved = image.replace(/\$\{(\w+)\}/g, (_match, key: string) => args.get(key) ?? '');
      stages.push({ from: resolved, name: as?.toUpperCase() === 'AS' ? name : undefined, instructions: [] });
    } else if (stages.length === 0 && instruction.keyword === 'ARG') {
      const [key = '', value = ''] = instruction.args.split('=');
      args.set(key, value);
    } else {
      stages.at(-1)?.instructions.push(instruction);
    }
  }
  return { args, stages };
}

/** `ENV A=1 B=2` (and the legacy `ENV A 1`) of a stage, in order. */
export function stageEnv(stage: Stage): Map<string, string> {
  const env = new Map<string, string>();
  for (const { args } of stage.instructions.filter((entry) => entry.keyword === 'ENV')) {
    if (!args.includes('=')) {
      const [key = '', ...value] = args.split(/\s+/);
      env.set(key, value.join(' '));
      continue;
    }
    for (const match of args.matchAll(/(\w+)=("[^"]*"|\S+)/g)) env.set(match[1] as string, (match[2] as string).replace(/^"|"$/g, ''));
  }
  return env;
}

/** The exec-form JSON array of an instruction such as `CMD ["start"]`. */
export function execForm(args: string): string[] {
  return JSON.parse(args.replace(/^CMD\s+/, '')) as string[];
}
