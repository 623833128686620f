// The index of `mooring` subcommands. Each command's module is loaded only when it runs: the
// modules pull in the kube client, the kustomize engine, SOPS or the UI server, and loading them
// all would cost every command (and `--help`) several hundred milliseconds of start-up.
import type { Command } from './command.js';

export interface CommandEntry {
  name: string;
  summary: string;
  load(): Promise<Command>;
}

export const commands: CommandEntry[] = [
  {
    name: 'controller',
    summary: 'Run the GitRepository and Kustomization controllers',
    load: async () => (await import('./controller.js')).controllerCommand,
  },
  {
    name: 'identity',
    summary: 'Create (or show) the SSH deploy key a GitRepository uses',
    load: async () => (await import('./identity.js')).identityCommand,
  },
  {
    name: 'sync',
    summary: 'Reconcile a GitRepository or Kustomization now and wait for the result',
    load: async () => (await import('./sync.js')).syncCommand,
  },
  {
    name: 'get',
    summary: 'List GitRepositories or Kustomizations with their revision and readiness',
    load: async () => (await import('./get.js')).getCommand,
  },
  {
    name: 'build',
    summary: 'Build a kustomization directory and print the resulting YAML',
    load: async () => (await import('./build.js')).buildCommand,
  },
  {
    name: 'diff',
    summary: 'Show what merging a branch would change: one Kustomization, all of them, or offline',
    load: async () => (await import('./diff.js')).diffCommand,
  },
  {
    name: 'suspend',
    summary: 'Stop reconciling a GitRepository or Kustomization',
    load: async () => (await import('./suspend.js')).suspendCommand,
  },
  {
    name: 'resume',
    summary: 'Resume a suspended GitRepository or Kustomization and wait for it to reconcile',
    load: async () => (await import('./suspend.js')).resumeCommand,
  },
  {
    name: 'ui',
    summary: 'Serve a live web view of sources, Kustomizations, their objects and drift',
    load: async () => (await import('./ui.js')).uiCommand,
  },
  {
    name: 'install',
    summary: 'Install the CRDs and the controller on a cluster, or print them',
    load: async () => (await import('./install.js')).installCommand,
  },
  {
    name: 'check',
    summary: 'Check the cluster: CRDs, stored versions, controller and leader, Flux controllers',
    load: async () => (await import('./check.js')).checkCommand,
  },
  {
    name: 'version',
    summary: 'Print the Mooring version',
    load: async () => (await import('./version.js')).versionCommand,
  },
];
