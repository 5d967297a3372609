// Renders each kustomize overlay (kubectl kustomize, offline), validates every object against the Kubernetes schemas
// (kubernetes-models, ESM only: hence a script, which deploy.spec.ts runs), and checks what the render refers to exists in
// it: Secrets, ConfigMaps, PersistentVolumeClaims, ServiceAccounts, the images the Dockerfiles build (one tag per overlay),
// the targets of Services, PDBs, HPAs and NetworkPolicies, and each pod's hardening.
//   node tools/deploy-check/k8s-check.mjs [--json] [overlay directory ...]   (default: every deploy/k8s/overlays/*)
// Exit status: 0 no problem, 1 problems (listed), 2 kubectl missing or an overlay that does not render.
import { execFileSync } from 'node:child_process';
import { readdirSync, existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

/** Kinds defined by CRDs that the overlays may use: not in the Kubernetes schemas, checked here by hand. */
const CUSTOM_KINDS = new Set(['external-secrets.io/v1/ExternalSecret']);

/** `metastore/<project>` for every projects/<project>/Dockerfile: the only images a manifest may name. */
export function builtImages() {
  return readdirSync(path.join(root, 'projects'))
    .filter((project) => existsSync(path.join(root, 'projects', project, 'Dockerfile')))
    .map((project) => `metastore/${project}`)
    .sort();
}

/** The objects `kubectl kustomize <dir>` renders. */
export function render(directory) {
  const output = execFileSync('kubectl', ['kustomize', directory], { encoding: 'utf8', maxBuffer: 16 * 1024 * 1024 });
  return parseAllDocuments(output)
    .map((document) => document.toJS())
    .filter(Boolean);
}

/** The kubernetes-models class for an object, or undefined for a kind it does not know. */
async function modelOf(object) {
  const [group, version] = object.apiVersion.includes('/') ? object.apiVersion.split('/') : ['', object.apiVersion];
  const module = group === '' ? `kubernetes-models/${version}/${object.kind}` : `kubernetes-models/${group}/${version}/${object.kind}`;
  try {
    return (await import(module))[object.kind];
  } catch {
    return undefined;
  }
}

/** The pod spec inside a workload, if it has one. */
export function podSpecOf(object) {
  if (['Deployment', 'StatefulSet', 'DaemonSet', 'Job', 'ReplicaSet'].includes(object.kind)) return object.spec?.template?.spec;
  if (object.kind === 'CronJob') return object.spec?.jobTemplate?.spec?.template?.spec;
  if (object.kind === 'Pod') return object.spec;
  return undefined;
}

function podLabelsOf(object) {
  if (object.kind === 'CronJob') return object.spec?.jobTemplate?.spec?.template?.metadata?.labels ?? {};
  return object.spec?.template?.metadata?.labels ?? {};
}

const matches = (selector, labels) => Object.entries(selector ?? {}).every(([key, value]) => labels[key] === value);

/** Every problem of one overlay's render (an empty list when it is sound). */
export async function checkObjects(objects, images = builtImages()) {
  const problems = [];
  const named = (kind) => new Set(objects.filter((object) => object.kind === kind).map((object) => object.metadata.name));
  const secrets = named('Secret');
  for (const external of objects.filter((object) => object.kind === 'ExternalSecret'))
    secrets.add(external.spec?.target?.name ?? external.metadata.name);
  const configMaps = named('ConfigMap');
  const claims = named('PersistentVolumeClaim');
  const accounts = named('ServiceAccount');
  const namespaces = new Set(objects.filter((object) => object.metadata?.namespace).map((object) => object.metadata.namespace));
  if (namespaces.size > 1) problems.push(`objects in several namespaces: ${[...namespaces].join(', ')}`);
  const tags = new Set();

  for (const object of objects) {
    const id = `${object.kind}/${object.metadata?.name}`;
    const type = `${object.apiVersion}/${object.kind}`;
    const Model = await modelOf(object);
    if (Model) {
      try {
        new Model(object).validate();
      } catch (error) {
        problems.push(`${id}: does not match the ${type} schema: ${error.message}`);
      }
    } else if (!CUSTOM_KINDS.has(type)) {
      problems.push(`${id}: ${type} is neither a Kubernetes kind nor a known custom kind`);
    }
    if (object.kind === 'ExternalSecret' && !(object.spec?.secretStoreRef?.name && object.spec?.data?.length))
      problems.push(`${id}: needs spec.secretStoreRef.name and spec.data`);

    const pod = podSpecOf(object);
    if (pod) {
      const account = pod.serviceAccountName ?? 'default';
      if (account !== 'default' && !accounts.has(account)) problems.push(`${id}: ServiceAccount ${account} is not in the render`);
      if (pod.automountServiceAccountToken !== false) problems.push(`${id}: mounts a service account token`);
      if (pod.securityContext?.runAsNonRoot !== true) problems.push(`${id}: pod securityContext.runAsNonRoot is not true`);
      if (pod.securityContext?.seccompProfile?.type !== 'RuntimeDefault') problems.push(`${id}: no RuntimeDefault seccomp profile`);
      for (const volume of pod.volumes ?? []) {
        if (volume.secret && !secrets.has(volume.secret.secretName) && !volume.secret.optional)
          problems.push(`${id}: volume ${volume.name}: Secret ${volume.secret.secretName} is not in the render`);
        if (volume.configMap && !configMaps.has(volume.configMap.name) && !volume.configMap.optional)
          problems.push(`${id}: volume ${volume.name}: ConfigMap ${volume.configMap.name} is not in the render`);
        if (volume.persistentVolumeClaim && !claims.has(volume.persistentVolumeClaim.claimName))
          problems.push(
            `${id}: volume ${volume.name}: PersistentVolumeClaim ${volume.persistentVolumeClaim.claimName} is not in the render`,
          );
      }
      const volumeNames = new Set((pod.volumes ?? []).map((volume) => volume.name));
      for (const container of [...(pod.initContainers ?? []), ...(pod.containers ?? [])]) {
        const where = `${id} container ${container.name}`;
        for (const source of container.envFrom ?? []) {
          if (source.secretRef && !source.secretRef.optional && !secrets.has(source.secretRef.name))
            problems.push(`${where}: Secret ${source.secretRef.name} is not in the render`);
          if (source.configMapRef && !source.configMapRef.optional && !configMaps.has(source.configMapRef.name))
            problems.push(`${where}: ConfigMap ${source.configMapRef.name} is not in the render`);
        }
        for (const variable of container.env ?? []) {
          const secretKey = variable.valueFrom?.secretKeyRef;
          const configKey = variable.valueFrom?.configMapKeyRef;
          if (secretKey && !secretKey.optional && !secrets.has(secretKey.name))
            problems.push(`${where}: env ${variable.name}: Secret ${secretKey.name} is not in the render`);
          if (configKey && !configKey.optional && !configMaps.has(configKey.name))
            problems.push(`${where}: env ${variable.name}: ConfigMap ${configKey.name} is not in the render`);
        }
        for (const mount of container.volumeMounts ?? [])
          if (!volumeNames.has(mount.name)) problems.push(`${where}: mounts ${mount.name}, which is no volume of the pod`);
        const [repository, tag] = container.image.split(':');
        if (!images.includes(repository))
          problems.push(`${where}: image ${container.image} is none the Dockerfiles build (${images.join(', ')})`);
        if (!tag || tag === 'latest') problems.push(`${where}: image ${container.image} has no pinned tag`);
        else tags.add(tag);
        const security = container.securityContext ?? {};
        if (security.readOnlyRootFilesystem !== true) problems.push(`${where}: root filesystem is not read-only`);
        if (security.allowPrivilegeEscalation !== false) problems.push(`${where}: allows privilege escalation`);
        if (!security.capabilities?.drop?.includes('ALL')) problems.push(`${where}: does not drop all capabilities`);
        if (!container.resources?.requests?.cpu || !container.resources?.requests?.memory || !container.resources?.limits?.memory)
          problems.push(`${where}: needs cpu and memory requests and a memory limit`);
        if (!(container.volumeMounts ?? []).some((mount) => mount.mountPath === '/tmp')) problems.push(`${where}: no writable /tmp`);
      }
    }
    if (object.kind === 'Service' && !objects.some((other) => podSpecOf(other) && matches(object.spec?.selector, podLabelsOf(other))))
      problems.push(`${id}: selects no pod template`);
    if (
      object.kind === 'PodDisruptionBudget' &&
      !objects.some((other) => podSpecOf(other) && matches(object.spec?.selector?.matchLabels, podLabelsOf(other)))
    )
      problems.push(`${id}: selects no pod template`);
    if (
      object.kind === 'NetworkPolicy' &&
      !objects.some((other) => podSpecOf(other) && matches(object.spec?.podSelector?.matchLabels, podLabelsOf(other)))
    )
      problems.push(`${id}: selects no pod template`);
    if (object.kind === 'HorizontalPodAutoscaler') {
      const target = object.spec?.scaleTargetRef;
      if (!objects.some((other) => other.kind === target?.kind && other.metadata.name === target?.name))
        problems.push(`${id}: scales ${target?.kind}/${target?.name}, which is not in the render`);
    }
  }
  if (tags.size > 1) problems.push(`images carry several tags: ${[...tags].join(', ')} (one release, one tag)`);
  return problems;
}

/** Which image each workload's containers run, without tags: must agree across overlays. */
export function imagesByWorkload(objects) {
  const result = {};
  for (const object of objects) {
    const pod = podSpecOf(object);
    if (!pod) continue;
    for (const container of [...(pod.initContainers ?? []), ...(pod.containers ?? [])])
      result[`${object.kind}/${object.metadata.name}/${container.name}`] = container.image.split(':')[0];
  }
  return result;
}

async function main(argv) {
  const json = argv.includes('--json');
  const overlaysRoot = path.join(root, 'deploy', 'k8s', 'overlays');
  const directories = argv.filter((arg) => arg !== '--json');
  const overlays = directories.length > 0 ? directories : readdirSync(overlaysRoot).map((name) => path.join(overlaysRoot, name));
  try {
    execFileSync('kubectl', ['version', '--client'], { stdio: 'ignore' });
  } catch {
    process.stderr.write('kubectl is not on the PATH: cannot render the overlays\n');
    return 2;
  }
  const results = [];
  for (const directory of overlays) {
    let objects;
    try {
      objects = render(directory);
    } catch (error) {
      process.stderr.write(`${directory}: kubectl kustomize failed: ${error.stderr ?? error.message}\n`);
      return 2;
    }
    results.push({ overlay: path.relative(root, path.resolve(directory)), objects, problems: await checkObjects(objects) });
  }
  // The same workload runs the same image in every overlay that has it (only the tag differs).
  const seen = {};
  for (const result of results)
    for (const [workload, image] of Object.entries(imagesByWorkload(result.objects))) {
      if (seen[workload] && seen[workload].image !== image)
        result.problems.push(`${workload}: runs ${image} here and ${seen[workload].image} in ${seen[workload].overlay}`);
      seen[workload] ??= { image, overlay: result.overlay };
    }
  if (json) process.stdout.write(`${JSON.stringify(results)}\n`);
  else
    for (const result of results) {
      process.stdout.write(`${result.overlay}: ${result.objects.length} objects, ${result.problems.length} problems\n`);
      for (const problem of result.problems) process.stdout.write(`  - ${problem}\n`);
    }
  return results.some((result) => result.problems.length > 0) ? 1 : 0;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main(process.argv.slice(2)).then((code) => process.exit(code));
}
