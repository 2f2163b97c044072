/**
 * The Kubernetes files in deploy/kubernetes/ are checked against the Kubernetes API schemas (the
 * kubernetes-models package: the OpenAPI schemas compiled into ajv validators, offline) and against
 * each other: the names, keys, paths and counts that must agree for the Job to run and merge.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { DockerfileParser, type Copy } from 'dockerfile-ast';
import { Job } from 'kubernetes-models/batch/v1';
import { ConfigMap, PersistentVolumeClaim, Pod } from 'kubernetes-models/v1';
import type { IContainer } from 'kubernetes-models/v1/Container';
import { parse as parseYaml } from 'yaml';
import { parseScenarioText } from '../../src/load/scenario.js';

const DEPLOY = fileURLToPath(new URL('../../../deploy/kubernetes/', import.meta.url));
const read = (name: string): Promise<string> => readFile(`${DEPLOY}${name}`, 'utf8');
const manifest = async (name: string): Promise<Record<string, unknown>> => parseYaml(await read(name)) as Record<string, unknown>;

/** Validates against the API schema; the failure lists every schema error with its path. */
function validate(model: { validate(): void }, name: string): void {
  try {
    model.validate();
  } catch (error) {
    assert.fail(`${name}: ${error instanceof Error ? error.message : String(error)}`);
  }
}

const argValue = (args: readonly string[], flag: string): string | undefined => args[args.indexOf(flag) + 1];

test('every manifest is a valid Kubernetes object by the API schema; a broken one is not', async () => {
  const job = new Job(await manifest('load-job.yaml'));
  validate(job, 'load-job.yaml');
  validate(new Pod(await manifest('merge-pod.yaml')), 'merge-pod.yaml');
  validate(new PersistentVolumeClaim(await manifest('results-pvc.yaml')), 'results-pvc.yaml');
  // The ConfigMap the README's `kubectl create configmap` makes.
  validate(new ConfigMap({ metadata: { name: 'perfloop-scenario' }, data: { 'scenario.yaml': await read('scenario.yaml'), 'start-at': '2026-12-01T14:00:00Z' } }), 'configmap');

  // The schema has teeth: wrong types and missing required fields are reported with their paths.
  const broken = structuredClone(await manifest('load-job.yaml')) as { spec: { completions: unknown; template: { spec: { containers: unknown } } } };
  broken.spec.completions = '4';
  delete (broken.spec.template.spec as { containers?: unknown }).containers;
  assert.throws(() => new Job(broken as never).validate(), (error: Error) => /spec\/completions must be integer/.test(error.message) && /spec\/template\/spec must have required property containers/.test(error.message));
});

test('the Job, the ConfigMap, the volume, the merge step and the image agree with each other and with perfloop', async () => {
  const job = (await manifest('load-job.yaml')) as unknown as Job;
  const spec = job.spec;
  assert.ok(spec?.template.spec);
  const podSpec = spec.template.spec;
  const [container] = podSpec.containers as [IContainer];
  const args = container.args ?? [];
  const env = new Map((container.env ?? []).map((variable) => [variable.name, variable]));

  // One segment per pod, all at once, N written three times alike.
  assert.equal(spec.completionMode, 'Indexed');
  assert.equal(spec.parallelism, spec.completions);
  assert.equal(Number(env.get('PERFLOOP_SEGMENT_COUNT')?.value), spec.completions);
  assert.deepEqual(args.slice(0, 2), ['run', '/scenario/scenario.yaml']);
  assert.equal(argValue(args, '--segment'), 'auto');
  // Every $(VAR) in args names a variable of the container (Kubernetes leaves unknown ones verbatim).
  for (const reference of args.join(' ').matchAll(/\$\((\w+)\)/g)) assert.ok(env.has(reference[1] ?? ''), `args use $(${reference[1]}), not in env`);
  assert.equal(argValue(args, '--start-at'), '$(PERFLOOP_START_AT)');
  assert.equal(env.get('JOB_COMPLETION_INDEX')?.valueFrom?.fieldRef?.fieldPath, "metadata.annotations['batch.kubernetes.io/job-completion-index']");
  const startRef = env.get('PERFLOOP_START_AT')?.valueFrom?.configMapKeyRef;

  // Scenario from the ConfigMap, mounted where args read it; the example scenario is valid for perfloop.
  const scenarioVolume = podSpec.volumes?.find((volume) => volume.configMap);
  assert.equal(scenarioVolume?.configMap?.name, startRef?.name);
  assert.equal(startRef?.key, 'start-at');
  const scenarioMount = container.volumeMounts?.find((mount) => mount.name === scenarioVolume?.name);
  assert.equal(`${scenarioMount?.mountPath}/${scenarioVolume?.configMap?.items?.[0]?.path}`, args[1]);
  assert.equal(scenarioVolume?.configMap?.items?.[0]?.key, 'scenario.yaml');
  const example = parseScenarioText(await read('scenario.yaml'), 'deploy/kubernetes/scenario.yaml');
  assert.equal(example.phases.length, 2);

  // Results on the shared claim; the merge pod reads the same claim at the same place.
  const pvc = (await manifest('results-pvc.yaml')) as unknown as PersistentVolumeClaim;
  assert.deepEqual(pvc.spec?.accessModes, ['ReadWriteMany']);
  const resultsVolume = podSpec.volumes?.find((volume) => volume.persistentVolumeClaim);
  assert.equal(resultsVolume?.persistentVolumeClaim?.claimName, pvc.metadata?.name);
  const resultsMount = container.volumeMounts?.find((mount) => mount.name === resultsVolume?.name);
  assert.equal(argValue(args, '--out'), `${resultsMount?.mountPath}/segment-$(JOB_COMPLETION_INDEX).json`);
  const merge = (await manifest('merge-pod.yaml')) as unknown as Pod;
  const mergeScript = (merge.spec?.containers[0]?.args ?? []).join(' ');
  assert.equal(merge.spec?.volumes?.[0]?.persistentVolumeClaim?.claimName, pvc.metadata?.name);
  assert.match(mergeScript, new RegExp(`perfloop merge ${resultsMount?.mountPath} -o ${resultsMount?.mountPath}/merged\\.json && perfloop report ${resultsMount?.mountPath}/merged\\.json -o`));

  // Spread over nodes: the anti-affinity selects this Job's own pods, per host.
  const term = podSpec.affinity?.podAntiAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.[0];
  assert.equal(term?.topologyKey, 'kubernetes.io/hostname');
  for (const [key, value] of Object.entries(term?.labelSelector?.matchLabels ?? {})) assert.equal(spec.template.metadata?.labels?.[key], value);
  assert.ok(Object.keys(term?.labelSelector?.matchLabels ?? {}).length > 0);

  // Guaranteed CPU, one worker thread per core.
  assert.equal(container.resources?.requests?.cpu, container.resources?.limits?.cpu);
  assert.equal(argValue(args, '--workers'), String(container.resources?.requests?.cpu));
  assert.ok(container.resources?.limits?.memory);

  // Non-root, and the image's user is the one the pod asks for.
  assert.equal(podSpec.securityContext?.runAsNonRoot, true);
  const dockerfile = DockerfileParser.parse(await read('Dockerfile'));
  const user = dockerfile.getInstructions().filter((instruction) => instruction.getKeyword() === 'USER').at(-1)?.getArgumentsContent();
  assert.equal(user, `${podSpec.securityContext?.runAsUser}:${podSpec.securityContext?.runAsGroup}`);
  assert.notEqual(podSpec.securityContext?.runAsUser, 0);
});

test('the container build: Node 20, production dependencies by npm ci --omit=dev, the CLI as entry point', async () => {
  const dockerfile = DockerfileParser.parse(await read('Dockerfile'));
  const froms = dockerfile.getFROMs();
  const runtime = froms.at(-1);
  assert.equal(runtime?.getImageName(), 'node');
  assert.match(runtime?.getImageTag() ?? '', /^20(-|$)/);
  for (const from of froms) assert.match(`${from.getImageName()}:${from.getImageTag()}`, /^node:20/);
  const instructions = dockerfile.getInstructions();
  const runs = instructions.filter((instruction) => instruction.getKeyword() === 'RUN').map((instruction) => instruction.getArgumentsContent() ?? '');
  assert.ok(runs.some((run) => /\bnpm ci --omit=dev\b/.test(run)), runs.join('\n'));
  // Every COPY --from names a stage, and the runtime takes node_modules from the stage that ran --omit=dev.
  const stages = froms.map((from) => from.getBuildStage()).filter(Boolean);
  const copies = instructions
    .filter((instruction) => instruction.getKeyword() === 'COPY')
    .map((instruction) => ({ from: (instruction as Copy).getFlags().find((flag) => flag.getName() === 'from')?.getValue(), what: instruction.getArgumentsContent() ?? '' }));
  for (const copy of copies) if (copy.from) assert.ok(stages.includes(copy.from), `COPY --from=${copy.from}: no such stage`);
  const modules = copies.find((copy) => copy.what.startsWith('/app/node_modules'));
  const stageLine = (name: string | null | undefined): number => froms.find((from) => from.getBuildStage() === name)?.getRange().start.line ?? -1;
  const omitDevLine = instructions.find((instruction) => instruction.getKeyword() === 'RUN' && /--omit=dev/.test(instruction.getArgumentsContent() ?? ''))?.getRange().start.line ?? -1;
  const nextStageLine = Math.min(...froms.map((from) => from.getRange().start.line).filter((line) => line > stageLine(modules?.from)));
  assert.ok(stageLine(modules?.from) >= 0 && omitDevLine > stageLine(modules?.from) && omitDevLine < nextStageLine, `node_modules from stage ${modules?.from}, which does not run npm ci --omit=dev`);
  const entrypoint = instructions.find((instruction) => instruction.getKeyword() === 'ENTRYPOINT')?.getArgumentsContent();
  assert.equal(entrypoint, '["node", "/app/dist/src/cli/main.js"]');
  // The files the image copies exist where the build expects them (the CLI entry is what package.json bins).
  const packageJson = JSON.parse(await readFile(fileURLToPath(new URL('../../../package.json', import.meta.url)), 'utf8')) as { bin: Record<string, string> };
  assert.equal(packageJson.bin.perfloop, 'dist/src/cli/main.js');
});
