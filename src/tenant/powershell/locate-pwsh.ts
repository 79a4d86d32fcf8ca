/** Where pwsh is: PWSH_PATH, else pwsh on PATH, else the `dotnet tool install --global PowerShell` location. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

function isExecutable(file: string): boolean {
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}

export function locatePwsh(explicit?: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (explicit) return isExecutable(explicit) ? explicit : undefined;
  const names = process.platform === 'win32' ? ['pwsh.exe'] : ['pwsh'];
  for (const dir of (env.PATH ?? '').split(path.delimiter).filter(Boolean)) {
    for (const name of names) {
      const candidate = path.join(dir, name);
      if (isExecutable(candidate)) return candidate;
    }
  }
  const dotnetTool = path.join(env.HOME ?? os.homedir(), '.dotnet', 'tools', names[0]!);
  return isExecutable(dotnetTool) ? dotnetTool : undefined;
}
