/**
 * Shared setup of the stack tests: one synthesis of the tracker stack per test file (with the real
 * local esbuild bundling only where the bundles are checked), optionally with the app's two
 * validation plugins (cdk-nag AwsSolutions and cfn-guard's Control Tower rules, as infra/app.ts adds
 * them), and small readers of the synthesized template. No network, no Docker, no AWS account.
 */
import { App, type CfnElement, Validations } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import type { CloudAssembly } from 'aws-cdk-lib/cx-api';
import { CfnGuardValidator } from '@cdklabs/cdk-validator-cfnguard';
import { AwsSolutionsChecks } from 'cdk-nag';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  API_TABLES,
  DELIVERY_TABLES,
  FANOUT_TABLES,
  REPLAN_TABLES,
  WEBSOCKET_TABLES,
  type TableKey,
} from '../../functions/store/schema.js';
import type { TrackerFunction } from '../../infra/constructs/tracker-function.js';
import { TrackerStack, type TrackerStackProps } from '../../infra/tracker-stack.js';

export const ENVIRONMENT = { account: '000000000000', region: 'eu-west-1' } as const;

export type Json = Record<string, unknown>;
export interface Resource {
  Type: string;
  Properties?: Json;
  DependsOn?: string[];
  DeletionPolicy?: string;
  UpdateReplacePolicy?: string;
}
export interface Statement {
  Sid?: string;
  Effect: string;
  Action: string | string[];
  Resource: unknown;
  Principal?: unknown;
  Condition?: Json;
}

/** The stack's functions (TrackerStack property names) and the table list each one is given. */
export const FUNCTION_TABLES = {
  apiFunction: API_TABLES,
  webSocketFunction: WEBSOCKET_TABLES,
  fanoutFunction: FANOUT_TABLES,
  deliveryFunction: DELIVERY_TABLES,
  replanFunction: REPLAN_TABLES,
} as const satisfies Record<string, readonly TableKey[]>;
export type FunctionName = keyof typeof FUNCTION_TABLES;
export const FUNCTION_NAMES = Object.keys(FUNCTION_TABLES) as FunctionName[];

/** One plugin's part of the synthesis' validation-report.json (the fields the tests read). */
export interface PluginReport {
  pluginName: string;
  conclusion: 'success' | 'failure';
  violations: { ruleName: string; violatingConstructs: { constructPath: string }[] }[];
  suppressedViolations?: {
    ruleName: string;
    acknowledgedId: string;
    acknowledgedAt: string;
    reason: string;
    violatingConstructs: { constructPath: string }[];
  }[];
}

export interface SynthOptions {
  /** Run the real esbuild bundling of every function (~1 s each). Default false: a dummy asset. */
  bundling?: boolean;
  /** Add cdk-nag AwsSolutions and cfn-guard as infra/app.ts does; the report is read, not thrown. */
  validationPlugins?: boolean;
  props?: TrackerStackProps;
  /** Stack id. Default `Tracker`. */
  id?: string;
}

export class SynthesizedStack {
  readonly app: App;
  readonly stack: TrackerStack;
  readonly template: Template;
  readonly resources: Record<string, Resource>;
  /** The cloud assembly (templates, assets, messages, validation-report.json). */
  readonly assembly: CloudAssembly;
  readonly outdir: string;
  /** The plugin reports of validation-report.json (plugins with neither finding nor acknowledgement are left out). */
  readonly pluginReports: PluginReport[] | undefined;

  constructor(options: SynthOptions = {}) {
    const context: Json = {};
    if (!options.bundling) context['aws:cdk:bundling-stacks'] = [];
    // Findings end up in validation-report.json instead of an exception, so that every test still runs
    // and the validation test shows them.
    if (options.validationPlugins) context['@aws-cdk/core:failSynthOnValidationErrors'] = false;
    this.app = new App({ context });
    this.stack = new TrackerStack(this.app, options.id ?? 'Tracker', {
      env: ENVIRONMENT,
      ...options.props,
    });
    if (options.validationPlugins) {
      Validations.of(this.app).addPlugins(
        new AwsSolutionsChecks(this.app, { verbose: true }),
        new CfnGuardValidator(),
      );
    }
    this.assembly = this.app.synth();
    this.outdir = this.assembly.directory;
    this.template = Template.fromStack(this.stack);
    this.resources = this.template.toJSON().Resources as Record<string, Resource>;
    const reportFile = join(this.outdir, 'validation-report.json');
    this.pluginReports = existsSync(reportFile)
      ? (JSON.parse(readFileSync(reportFile, 'utf8')) as { pluginReports: PluginReport[] }).pluginReports
      : undefined;
  }

  logicalId(construct: { node: { defaultChild?: unknown } }): string {
    return this.stack.getLogicalId(construct.node.defaultChild as CfnElement);
  }

  /** The `Properties` of a resource, by logical id (an empty object for an unknown id). */
  props(id: string): Json {
    return this.resources[id]?.Properties ?? {};
  }

  /** Resources of one type, by logical id. */
  ofType(type: string): [string, Resource][] {
    return Object.entries(this.resources).filter(([, resource]) => resource.Type === type);
  }

  trackerFunction(name: FunctionName): TrackerFunction {
    return this.stack[name];
  }

  /** Logical id of a function's `AWS::Lambda::Function`. */
  functionId(name: FunctionName): string {
    return this.logicalId(this.stack[name].function);
  }

  tableId(key: TableKey): string {
    return this.logicalId(this.stack.tables.byKey[key]);
  }

  /** The statements of every `AWS::IAM::Policy` attached to a role, by policy logical id. */
  policiesOfRole(roleId: string): [string, Statement[]][] {
    return this.ofType('AWS::IAM::Policy')
      .filter(([, policy]) => JSON.stringify(policy.Properties?.Roles) === JSON.stringify([{ Ref: roleId }]))
      .map(([id, policy]) => [id, statementsOf(policy)]);
  }

  /** The S3 object key of a function's code, mapped back to its staged folder in the assembly. */
  codeFolder(name: FunctionName): string {
    const code = this.props(this.functionId(name)).Code as { S3Key?: unknown };
    const hash = String(code.S3Key).replace(/\.zip$/, '');
    const manifest = JSON.parse(
      readFileSync(join(this.outdir, `${this.stack.artifactId}.assets.json`), 'utf8'),
    ) as { files: Record<string, { source: { path: string } }> };
    const source = manifest.files[hash]?.source.path;
    if (!source) throw new Error(`no staged asset for ${name} (${hash})`);
    return join(this.outdir, source);
  }
}

export function statementsOf(policy: Resource): Statement[] {
  return (policy.Properties?.PolicyDocument as { Statement: Statement[] }).Statement;
}

/** The single element of a list; throws (failing the test) when there are none or several. */
export function one<T>(list: readonly T[], what: string): T {
  if (list.length !== 1) throw new Error(`expected one ${what}, found ${list.length}`);
  return list[0]!;
}

export const asList = <T>(value: T | T[]): T[] => (Array.isArray(value) ? value : [value]);

export const getAtt = (id: string, attribute = 'Arn') => ({ 'Fn::GetAtt': [id, attribute] });

/** The acknowledgements recorded on the construct tree: `<construct path> <rule id>` → reason. */
export function acknowledgements(scope: App | TrackerStack): Map<string, string> {
  const found = new Map<string, string>();
  for (const construct of scope.node.findAll()) {
    for (const entry of construct.node.metadata) {
      if (entry.type !== Validations.ACKNOWLEDGED_RULES_METADATA_KEY) continue;
      for (const [id, reason] of Object.entries(entry.data as Record<string, string>)) {
        found.set(`${construct.node.path} ${id.replace(/^annotation::/i, '')}`, reason);
      }
    }
  }
  return found;
}
