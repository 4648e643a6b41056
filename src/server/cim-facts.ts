/**
 * The few CIM classes a Linux host can answer truthfully, read-only, as OMI served them:
 * CIM_OperatingSystem / Win32_OperatingSystem, CIM_ComputerSystem / Win32_ComputerSystem, and
 * CIM_Process / Win32_Process from /proc.
 *
 * Privacy (the listener usually runs as root and answers for unprivileged users): a process is
 * described only by what `ps -e -o pid,ppid,uid,stat,comm,lstart,rss,time` shows any user — pid,
 * parent, owner uid, state, short name, start time, resident size, CPU times. No command lines,
 * executable paths, environment, working directory or open files, which ps shows only for one's
 * own processes or not at all. When /proc is mounted with `hidepid` (ps then shows a user only
 * their own processes), only processes of the requesting user's account are listed.
 */
import { readFileSync, readdirSync } from 'node:fs';
import os from 'node:os';

export type FactValue = string | number | boolean | null | Date;
export type Instance = Record<string, FactValue>;

export interface CimClass {
  /** Class names this provider answers (CIM_… and Win32_…). */
  names: readonly string[];
  /** Key property names (selectors of a Get). */
  keys: readonly string[];
  /** Every instance the user `uid` may see (undefined uid: the listener's own view). */
  instances(uid: number | undefined, className: string): Instance[];
}

function read(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

function osRelease(): string {
  const text = read('/etc/os-release') ?? read('/usr/lib/os-release') ?? '';
  const m = /^PRETTY_NAME="?([^"\n]*)"?$/m.exec(text);
  return m?.[1] ?? `${os.type()} ${os.release()}`;
}

/** Clock ticks per second for /proc/PID/stat times (USER_HZ; 100 on every Linux port in use). */
const HZ = 100;

function bootTime(): Date {
  const stat = read('/proc/stat') ?? '';
  const m = /^btime (\d+)$/m.exec(stat);
  return m ? new Date(Number(m[1]) * 1000) : new Date(Date.now() - os.uptime() * 1000);
}

const operatingSystem: CimClass = {
  names: ['CIM_OperatingSystem', 'Win32_OperatingSystem'],
  keys: ['CreationClassName', 'Name', 'CSCreationClassName', 'CSName'],
  instances(_uid, className) {
    const win = className.startsWith('Win32_');
    const host = os.hostname();
    return [{
      CreationClassName: win ? 'Win32_OperatingSystem' : 'CIM_OperatingSystem',
      Name: osRelease(),
      CSCreationClassName: win ? 'Win32_ComputerSystem' : 'CIM_ComputerSystem',
      CSName: host,
      Caption: osRelease(),
      Version: os.release(),
      // CIM_OperatingSystem.OSType 36: LINUX.
      OSType: 36,
      OSArchitecture: os.arch(),
      LastBootUpTime: bootTime(),
      LocalDateTime: new Date(),
      NumberOfProcesses: readdirSync('/proc').filter((d) => /^\d+$/.test(d)).length,
      TotalVisibleMemorySize: Math.round(os.totalmem() / 1024),
      FreePhysicalMemory: Math.round(os.freemem() / 1024),
    }];
  },
};

const computerSystem: CimClass = {
  names: ['CIM_ComputerSystem', 'Win32_ComputerSystem'],
  keys: ['CreationClassName', 'Name'],
  instances(_uid, className) {
    return [{
      CreationClassName: className.startsWith('Win32_') ? 'Win32_ComputerSystem' : 'CIM_ComputerSystem',
      Name: os.hostname(),
      Caption: os.hostname(),
      NumberOfLogicalProcessors: os.cpus().length,
      TotalPhysicalMemory: os.totalmem(),
    }];
  },
};

/** Whether /proc hides other users' processes from ps (hidepid=1/2, invisible, noaccess, ptraceable). */
function procHidden(): boolean {
  const mounts = read('/proc/mounts') ?? '';
  return mounts.split('\n').some((l) => {
    const f = l.split(' ');
    return f[1] === '/proc' && f[2] === 'proc' && /(^|,)hidepid=(1|2|invisible|noaccess|ptraceable)(,|$)/.test(f[3] ?? '');
  });
}

function processOf(pid: string, boot: number, host: string, osName: string, win: boolean): Instance | undefined {
  const stat = read(`/proc/${pid}/stat`);
  const status = read(`/proc/${pid}/status`);
  if (stat === undefined || status === undefined) return undefined;
  // comm is in parentheses and may hold spaces and ')': the fields follow the last ')'.
  const close = stat.lastIndexOf(')');
  const comm = stat.slice(stat.indexOf('(') + 1, close);
  const f = stat.slice(close + 2).split(' ');
  const uid = Number(/^Uid:\s+(\d+)/m.exec(status)?.[1] ?? NaN);
  const rssPages = Number(f[21] ?? 0);
  return {
    CreationClassName: win ? 'Win32_Process' : 'CIM_Process',
    Handle: pid,
    CSCreationClassName: win ? 'Win32_ComputerSystem' : 'CIM_ComputerSystem',
    CSName: host,
    OSCreationClassName: win ? 'Win32_OperatingSystem' : 'CIM_OperatingSystem',
    OSName: osName,
    Name: comm,
    ProcessId: Number(pid),
    ParentProcessId: Number(f[1]),
    OwnerUid: Number.isNaN(uid) ? null : uid,
    State: f[0] ?? null,
    UserModeTime: Math.round((Number(f[11]) / HZ) * 1e7), // CIM: 100 ns units
    KernelModeTime: Math.round((Number(f[12]) / HZ) * 1e7),
    CreationDate: new Date(boot + (Number(f[19]) / HZ) * 1000),
    WorkingSetSize: rssPages * 4096,
  };
}

const process_: CimClass = {
  names: ['CIM_Process', 'Win32_Process'],
  keys: ['CSCreationClassName', 'CSName', 'OSCreationClassName', 'OSName', 'CreationClassName', 'Handle'],
  instances(uid, className) {
    const win = className.startsWith('Win32_');
    const hidden = procHidden();
    const boot = bootTime().getTime();
    const host = os.hostname();
    const osName = osRelease();
    const out: Instance[] = [];
    for (const pid of readdirSync('/proc')) {
      if (!/^\d+$/.test(pid)) continue;
      const p = processOf(pid, boot, host, osName, win);
      if (!p) continue; // gone meanwhile
      if (hidden && uid !== undefined && p.OwnerUid !== uid) continue;
      out.push(p);
    }
    return out;
  },
};

export const CIM_CLASSES: readonly CimClass[] = [operatingSystem, computerSystem, process_];

/** The provider of a class name (case-insensitive), if we have it. */
export function cimClass(name: string): CimClass | undefined {
  const lower = name.toLowerCase();
  return CIM_CLASSES.find((c) => c.names.some((n) => n.toLowerCase() === lower));
}

/** The spelling we use for a class name. */
export function canonicalClassName(name: string): string | undefined {
  const lower = name.toLowerCase();
  for (const c of CIM_CLASSES) for (const n of c.names) if (n.toLowerCase() === lower) return n;
  return undefined;
}
