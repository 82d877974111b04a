/**
 * The names of the sandbox layouts, alone in a module without imports so that the command line
 * can list them in --help without loading the simulator.
 */
export const LAYOUTS = [
  'v1-thanos',
  'v1-federated',
  'v2-single',
  'v2-federated',
  'v2-singlepod',
  'v2-hamode',
  'v2.9',
  'v3',
  'v3.0',
  'mixed',
] as const;
export type LayoutName = (typeof LAYOUTS)[number];
