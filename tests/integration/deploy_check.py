#!/usr/bin/env python3
"""Checks of the deployment files against the real binaries (tests/integration/deploy_*.sh).

No Docker engine, Kubernetes API or hadolint is available here, so the container and
Kubernetes files are checked by structure, and every flag, setting and environment
variable they use is checked against the binaries' --help (which prints the settings
tables compiled into them). The same --help text is the reference for the settings
tables in docs/configuration.md and for the man pages.

Usage: deploy_check.py BIN_DIR SOURCE_DIR CHECK...   CHECK: config-docs man compose k8s
dockerfile. Prints one line per problem and exits 1 when there is any.
"""
import os
import re
import subprocess
import sys

import yaml

PROBLEMS = []


def problem(where, message):
    PROBLEMS.append("%s: %s" % (where, message))


def run(argv, **kw):
    return subprocess.run(argv, capture_output=True, text=True, check=False, **kw)


# ---- what the binaries say -------------------------------------------------------------------

FLAG_WORDS = ("required", "reloadable", "restart to change", "secret")


def parse_settings(help_text):
    """Settings blocks of cfgtab_help(): '  name (attrs)' + help line + 'environment: X'."""
    settings = []
    lines = help_text.splitlines()
    for i, line in enumerate(lines):
        m = re.match(r"^  ([a-z][a-z0-9_]*) \((.*)\)$", line)
        if not m:
            continue
        attrs = [a.strip() for a in m.group(2).split(", ")]
        s = {"name": m.group(1), "header": line.strip(), "default": None, "required": False,
             "reloadable": False, "secret": False, "env": None, "type": []}
        for a in attrs:
            if a.startswith("default "):
                s["default"] = a[len("default "):]
            elif a == "required":
                s["required"] = True
            elif a == "reloadable":
                s["reloadable"] = True
            elif a == "secret":
                s["secret"] = True
            elif a == "restart to change":
                pass
            elif ".." in a:
                pass
            else:
                s["type"].append(a)
        s["type"] = ", ".join(s["type"])
        for follow in lines[i + 1:i + 3]:
            e = re.match(r"^\s+environment: (\S+)$", follow)
            if e:
                s["env"] = e.group(1)
        settings.append(s)
    return settings


HELP_CACHE = {}


def help_of(bin_dir, binary, *args):
    """`binary args... --help`, once per run; with DEPLOY_HELP_CACHE (a directory) once per
    test, since the sanitizer builds start slowly and the tests run the checker often."""
    key = " ".join((binary,) + args)
    if key in HELP_CACHE:
        return HELP_CACHE[key]
    cache_dir = os.environ.get("DEPLOY_HELP_CACHE")
    cache = os.path.join(cache_dir, key.replace(" ", "_") + ".txt") if cache_dir else None
    if cache and os.path.exists(cache):
        with open(cache, encoding="utf-8") as f:
            HELP_CACHE[key] = f.read()
        return HELP_CACHE[key]
    r = run([os.path.join(bin_dir, binary)] + list(args) + ["--help"])
    if r.returncode != 0:
        problem(binary, "%s --help exited %d: %s" % (" ".join(args), r.returncode, r.stderr))
    elif cache:
        os.makedirs(cache_dir, exist_ok=True)
        with open(cache, "w", encoding="utf-8") as f:
            f.write(r.stdout)
    HELP_CACHE[key] = r.stdout
    return r.stdout


def flags_in(text):
    """Options named in a help text (its EXAMPLES may pipe into other tools: left out)."""
    text = text.split("\nEXAMPLES\n", 1)[0]
    return set(re.findall(r"(?<![\w-])(--[a-z][a-z0-9-]*|-[a-z])(?![\w-])", text))


# ---- docs/configuration.md -----------------------------------------------------------------


def md_table(path, heading):
    """Rows (dicts by header) of the first table after the line `heading`."""
    with open(path, encoding="utf-8") as f:
        lines = f.read().splitlines()
    if heading not in lines:
        problem(path, "no heading '%s'" % heading)
        return []
    rows, header = [], None
    for line in lines[lines.index(heading) + 1:]:
        if line.startswith("#"):
            break
        if not line.startswith("|"):
            if header is not None:
                break
            continue
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if header is None:
            header = cells
        elif not set(cells[0]) <= set("-: "):
            rows.append(dict(zip(header, cells)))
    return rows


def doc_default(cell):
    """The default a table cell states: None, 'required' or the value as --help prints it."""
    if cell in ("none", ""):
        return None
    if cell == "**required**":
        return "required"
    m = re.match(r"^`([^`]*)`", cell)
    if not m:
        return "?" + cell
    value = m.group(1)
    if value.startswith("["):
        return ",".join(re.findall(r'"([^"]*)"', value))
    return value.strip('"')


def check_config_table(doc, heading, settings, what):
    rows = md_table(doc, heading)
    by_name = {r.get("Setting", "").strip("`"): r for r in rows}
    where = "%s (%s)" % (os.path.basename(doc), heading.lstrip("# "))
    for s in settings:
        row = by_name.pop(s["name"], None)
        if row is None:
            problem(where, "setting '%s' of %s --help is missing" % (s["name"], what))
            continue
        want_type = s["type"] + (", secret" if s["secret"] else "")
        if row.get("Type") != want_type:
            problem(where, "%s: type '%s', --help says '%s'" % (s["name"], row.get("Type"),
                                                               want_type))
        want_default = "required" if s["required"] else s["default"]
        got_default = doc_default(row.get("Default", ""))
        if got_default != want_default:
            problem(where, "%s: default %s, --help says %s" % (s["name"], got_default,
                                                              want_default))
        want_reload = "yes" if s["reloadable"] else "restart"
        if row.get("Reload") != want_reload:
            problem(where, "%s: reload '%s', --help says '%s'" % (s["name"], row.get("Reload"),
                                                                 want_reload))
    for name in by_name:
        problem(where, "setting '%s' is not in %s --help" % (name, what))


def check_config_docs(bin_dir, src):
    doc = os.path.join(src, "docs", "configuration.md")
    for binary, heading in (("shardwave-coordinator", "## Coordinator settings"),
                            ("shardwave-agent", "## Agent settings")):
        settings = parse_settings(help_of(bin_dir, binary))
        if len(settings) < 5:
            problem(binary, "--help lists only %d settings" % len(settings))
        check_config_table(doc, heading, settings, binary)
        prefix = "SHARDWAVE_COORDINATOR_" if binary.endswith("coordinator") else "SHARDWAVE_AGENT_"
        for s in settings:
            if s["type"] == "section":
                continue  # a group or list (e.g. webhooks): no environment variable
            if s["env"] != prefix + s["name"].upper():
                problem(binary, "%s: environment variable %s, the docs promise %s" %
                        (s["name"], s["env"], prefix + s["name"].upper()))


# ---- man pages ------------------------------------------------------------------------------


def render_man(path):
    """The page as plain text, one paragraph a line (a very long line length)."""
    r = run(["groff", "-man", "-Tascii", "-P-cbu", "-rLL=2000n", "-ww", path])
    if r.returncode != 0 or r.stderr.strip():
        problem(path, "groff: exit %d %s" % (r.returncode, r.stderr.strip()))
    return r.stdout


def man_section(text, title):
    m = re.search(r"^%s\n(.*?)(?=^[A-Z][A-Z ]+\n|\Z)" % re.escape(title), text, re.S | re.M)
    return m.group(1) if m else ""


def check_man_settings(page, settings):
    text = render_man(page)
    section = man_section(text, "SETTINGS")
    tags = re.findall(r"^ {7}([a-z][a-z0-9_]*) \((.*)\)$", section, re.M)
    names = [t[0] for t in tags]
    want = [s["name"] for s in settings]
    if names != want:
        problem(page, "SETTINGS lists %s, --help lists %s" % (names, want))
    lines = section.splitlines()
    for s in settings:
        idx = [i for i, line in enumerate(lines) if line.strip() == s["header"]]
        if not idx:
            problem(page, "no entry reading '%s' (as --help prints it)" % s["header"])
            continue
        body = " ".join(lines[idx[0] + 1:idx[0] + 3])
        if s["env"] and "Environment: %s." % s["env"] not in body:
            problem(page, "%s: environment variable %s not named" % (s["name"], s["env"]))


def check_man_flags(page, help_texts, what):
    text = render_man(page)
    have = flags_in(text)
    for flag in sorted(set().union(*(flags_in(h) for h in help_texts))):
        if flag not in have:
            problem(page, "option %s of %s is not documented" % (flag, what))
    return text


def check_man(bin_dir, src):
    man = os.path.join(src, "docs", "man")
    for binary in ("shardwave-coordinator", "shardwave-agent"):
        h = help_of(bin_dir, binary)
        options = h.split("Settings:")[0].split("settings (libconfig")[0]
        check_man_flags(os.path.join(man, binary + ".1"), [options], binary)
        check_man_settings(os.path.join(man, binary + ".conf.5"), parse_settings(h))
    top = help_of(bin_dir, "shardwave")
    block = top.split("Commands:\n", 1)[1].split("\n\n", 1)[0]
    commands = re.findall(r"^  ([a-z]+)\s", block, re.M)
    if len(commands) < 5:
        problem("shardwave", "--help lists only commands %s" % commands)
    texts = [top] + [help_of(bin_dir, "shardwave", c) for c in commands]
    text = check_man_flags(os.path.join(man, "shardwave.1"), texts, "shardwave")
    for c in commands:
        if not re.search(r"^ {7}%s\b" % c, text, re.M):
            problem("shardwave.1", "command '%s' has no entry" % c)


# ---- container files -------------------------------------------------------------------------


def known_env(bin_dir):
    env = {}
    for binary in ("shardwave-coordinator", "shardwave-agent"):
        for s in parse_settings(help_of(bin_dir, binary)):
            env[s["env"]] = binary
    for name in ("SHARDWAVE_COORDINATOR", "SHARDWAVE_TOKEN_FILE", "SHARDWAVE_TOKEN",
                 "SHARDWAVE_DSN", "SHARDWAVE_DIR"):
        env[name] = "shardwave"
    return env


def check_command(where, argv, helps):
    """argv (a list) runs one of our binaries: every --flag must be in its --help."""
    if not argv:
        return
    binary = os.path.basename(str(argv[0]))
    if binary not in helps:
        return
    for arg in argv[1:]:
        flag = str(arg).split("=", 1)[0]
        if flag.startswith("--") and flag not in helps[binary]:
            problem(where, "%s has no option %s" % (binary, flag))


def all_helps(bin_dir):
    helps = {}
    for binary in ("shardwave-coordinator", "shardwave-agent"):
        helps[binary] = flags_in(help_of(bin_dir, binary))
    top = help_of(bin_dir, "shardwave")
    flags = flags_in(top)
    block = top.split("Commands:\n", 1)[1].split("\n\n", 1)[0]
    for c in re.findall(r"^  ([a-z]+)\s", block, re.M):
        flags |= flags_in(help_of(bin_dir, "shardwave", c))
    helps["shardwave"] = flags
    return helps


def load_yaml_docs(path):
    try:
        with open(path, encoding="utf-8") as f:
            return [d for d in yaml.safe_load_all(f) if d is not None]
    except (OSError, yaml.YAMLError) as e:
        problem(path, "not valid YAML: %s" % e)
        return []


def env_names(where, env, known):
    """Checks the SHARDWAVE_* names of a compose/k8s env block against --help."""
    if isinstance(env, dict):
        names = list(env.keys())
    else:
        names = [e["name"] if isinstance(e, dict) else str(e).split("=", 1)[0] for e in env]
    for name in names:
        if name.startswith("SHARDWAVE_") and name not in known:
            problem(where, "environment variable %s is not a setting of any binary" % name)
    return names


def check_compose(bin_dir, src):
    path = os.path.join(src, "deploy", "compose.yaml")
    docs = load_yaml_docs(path)
    if len(docs) != 1:
        problem(path, "expected one YAML document")
        return
    services = docs[0].get("services", {})
    known, helps = known_env(bin_dir), all_helps(bin_dir)
    roles = {"shardwave-coordinator": [], "shardwave-agent": [], "postgres": [], "mariadb": []}
    for name, svc in services.items():
        where = "compose.yaml: services.%s" % name
        cmd = svc.get("command", [])
        if isinstance(cmd, str):
            problem(where, "command must be a list (exec form), got a string")
            cmd = cmd.split()
        check_command(where, cmd, helps)
        if cmd and os.path.basename(str(cmd[0])) in roles:
            roles[os.path.basename(str(cmd[0]))].append(name)
        image = str(svc.get("image", ""))
        for db in ("postgres", "mariadb"):
            if image.startswith(db + ":"):
                roles[db].append(name)
        env_names(where, svc.get("environment", {}), known)
        for vol in svc.get("volumes", []):
            source = vol.split(":", 1)[0] if isinstance(vol, str) else vol.get("source", "")
            if source.startswith("."):
                if not os.path.exists(os.path.join(src, "deploy", source)):
                    problem(where, "mounts %s, which does not exist" % source)
            elif source and source not in docs[0].get("volumes", {}):
                problem(where, "volume %s is not declared under volumes" % source)
        for dep in svc.get("depends_on", {}):
            if dep not in services:
                problem(where, "depends on unknown service %s" % dep)
        build = svc.get("build")
        if build is not None:
            ctx = os.path.normpath(os.path.join(src, "deploy", build.get("context", ".")))
            if not os.path.isfile(os.path.join(ctx, build.get("dockerfile", "Dockerfile"))):
                problem(where, "build: no Dockerfile %s in %s" % (build.get("dockerfile"), ctx))
    want = {"shardwave-coordinator": 1, "shardwave-agent": 2, "postgres": 1, "mariadb": 1}
    for role, n in want.items():
        if len(roles[role]) < n:
            problem(path, "expected at least %d %s service(s), found %s" % (n, role, roles[role]))
    for name in roles["shardwave-coordinator"]:
        if services[name].get("healthcheck", {}).get("disable"):
            problem(path, "the coordinator's health check is disabled")


# ---- Kubernetes -------------------------------------------------------------------------------

API_VERSIONS = {"StatefulSet": "apps/v1", "Deployment": "apps/v1", "Service": "v1",
                "Secret": "v1", "ConfigMap": "v1", "ServiceAccount": "v1",
                "NetworkPolicy": "networking.k8s.io/v1",
                "PodDisruptionBudget": "policy/v1", "Job": "batch/v1",
                "Kustomization": "kustomize.config.k8s.io/v1beta1"}
CONTAINER_KEYS = {"name", "image", "imagePullPolicy", "command", "args", "env", "envFrom",
                  "ports", "volumeMounts", "resources", "livenessProbe", "readinessProbe",
                  "startupProbe", "securityContext", "workingDir", "lifecycle"}


def k8s_objects(src):
    objs = []
    kdir = os.path.join(src, "deploy", "k8s")
    for name in sorted(os.listdir(kdir)):
        if name.endswith((".yaml", ".yml")) and name != "kustomization.yaml":
            for doc in load_yaml_docs(os.path.join(kdir, name)):
                objs.append((name, doc))
    return kdir, objs


def check_pod(where, spec, by_kind, known, helps):
    pod = spec.get("template", {}).get("spec", {})
    volumes = {v["name"]: v for v in pod.get("volumes", [])}
    claims = {c["metadata"]["name"] for c in spec.get("volumeClaimTemplates", [])}
    sc = pod.get("securityContext", {})
    if not sc.get("runAsNonRoot"):
        problem(where, "pod securityContext.runAsNonRoot is not true")
    for v in volumes.values():
        for key, kind in (("secret", "Secret"), ("configMap", "ConfigMap")):
            if key in v:
                ref = v[key].get("secretName") or v[key].get("name")
                if ref not in by_kind.get(kind, {}):
                    problem(where, "volume %s names %s %s, not defined" % (v["name"], kind, ref))
    for c in pod.get("containers", []):
        cw = "%s container %s" % (where, c.get("name"))
        for key in c:
            if key not in CONTAINER_KEYS:
                problem(cw, "unknown container field %s" % key)
        check_command(cw, list(c.get("command", [])) + list(c.get("args", [])), helps)
        env_names(cw, c.get("env", []), known)
        for e in c.get("env", []):
            ref = e.get("valueFrom", {}).get("secretKeyRef")
            if ref and ref["name"] not in by_kind.get("Secret", {}):
                problem(cw, "env %s names Secret %s, not defined" % (e["name"], ref["name"]))
        for m in c.get("volumeMounts", []):
            if m["name"] not in volumes and m["name"] not in claims:
                problem(cw, "mounts %s, which is neither a volume nor a claim" % m["name"])
        csc = c.get("securityContext", {})
        if csc.get("allowPrivilegeEscalation") is not False:
            problem(cw, "securityContext.allowPrivilegeEscalation is not false")
    return pod


def check_k8s(bin_dir, src):
    kdir, objs = k8s_objects(src)
    known, helps = known_env(bin_dir), all_helps(bin_dir)
    by_kind = {}
    for fname, o in objs:
        kind = o.get("kind")
        where = "k8s/%s: %s %s" % (fname, kind, o.get("metadata", {}).get("name"))
        if kind not in API_VERSIONS:
            problem(where, "unexpected kind")
            continue
        if o.get("apiVersion") != API_VERSIONS[kind]:
            problem(where, "apiVersion %s, expected %s" % (o.get("apiVersion"), API_VERSIONS[kind]))
        if not re.match(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$", o.get("metadata", {}).get("name", "")):
            problem(where, "metadata.name is not a DNS-1123 label")
        by_kind.setdefault(kind, {})[o["metadata"]["name"]] = (fname, o)
    kust = os.path.join(kdir, "kustomization.yaml")
    if os.path.exists(kust):
        for doc in load_yaml_docs(kust):
            for res in doc.get("resources", []):
                if not os.path.exists(os.path.join(kdir, res)):
                    problem("k8s/kustomization.yaml", "resource %s does not exist" % res)
    coord_sts = agent_dep = None
    for kind in ("StatefulSet", "Deployment"):
        for name, (fname, o) in by_kind.get(kind, {}).items():
            where = "k8s/%s: %s %s" % (fname, kind, name)
            spec = o.get("spec", {})
            labels = spec.get("template", {}).get("metadata", {}).get("labels", {})
            sel = spec.get("selector", {}).get("matchLabels", {})
            if not sel or any(labels.get(k) != v for k, v in sel.items()):
                problem(where, "selector %s does not match the pod labels %s" % (sel, labels))
            pod = check_pod(where, spec, by_kind, known, helps)
            cmds = [c.get("command", [""])[0] for c in pod.get("containers", [])]
            if kind == "StatefulSet" and "shardwave-coordinator" in cmds:
                coord_sts = (where, o, pod)
            if kind == "Deployment" and "shardwave-agent" in cmds:
                agent_dep = (where, o, pod)
    check_k8s_coordinator(coord_sts, by_kind)
    check_k8s_agent(agent_dep, by_kind)


def check_k8s_coordinator(found, by_kind):
    if found is None:
        problem("k8s", "no StatefulSet runs shardwave-coordinator")
        return
    where, sts, pod = found
    claims = sts["spec"].get("volumeClaimTemplates", [])
    if not claims:
        problem(where, "no volumeClaimTemplates for the SQLite store")
    c = pod["containers"][0]
    env = {e["name"]: e for e in c.get("env", [])}
    store = env.get("SHARDWAVE_COORDINATOR_STORE_PATH", {}).get("value",
                                                                "/var/lib/shardwave/coordinator.db")
    mounts = {m["name"]: m["mountPath"] for m in c.get("volumeMounts", [])}
    claim_paths = [mounts.get(cl["metadata"]["name"]) for cl in claims]
    if os.path.dirname(store) not in claim_paths:
        problem(where, "store %s is not on a claimed volume (%s)" % (store, claim_paths))
    ports = {p.get("name"): p["containerPort"] for p in c.get("ports", [])}
    for probe in ("readinessProbe", "livenessProbe"):
        get = c.get(probe, {}).get("httpGet", {})
        if get.get("path") != "/healthz":
            problem(where, "%s is not GET /healthz" % probe)
        elif get.get("port") not in ports and get.get("port") not in ports.values():
            problem(where, "%s port %s is not a container port" % (probe, get.get("port")))
    tokens_secret = [v for v in pod.get("volumes", []) if "secret" in v]
    if not tokens_secret:
        problem(where, "the tokens file does not come from a Secret")
    services = [o for _, o in by_kind.get("Service", {}).values()
                if all(pod_labels(sts).get(k) == v for k, v in o["spec"].get("selector", {}).items())]
    if not services:
        problem(where, "no Service selects the coordinator pods")
    for svc in services:
        for p in svc["spec"].get("ports", []):
            target = p.get("targetPort", p.get("port"))
            if target not in ports and target not in ports.values():
                problem("Service %s" % svc["metadata"]["name"],
                        "targetPort %s is not a coordinator container port" % target)
    if sts["spec"].get("serviceName") not in by_kind.get("Service", {}):
        problem(where, "serviceName %s is not a Service" % sts["spec"].get("serviceName"))


def pod_labels(o):
    return o["spec"].get("template", {}).get("metadata", {}).get("labels", {})


def check_k8s_agent(found, by_kind):
    if found is None:
        problem("k8s", "no Deployment runs shardwave-agent")
        return
    where, _, pod = found
    secrets = [v["secret"]["secretName"] for v in pod.get("volumes", []) if "secret" in v]
    c = pod["containers"][0]
    secrets += [e["valueFrom"]["secretKeyRef"]["name"] for e in c.get("env", [])
                if "secretKeyRef" in e.get("valueFrom", {})]
    if not secrets:
        problem(where, "DSNs and the token do not come from a Secret")
    for name in secrets:
        _, sec = by_kind.get("Secret", {}).get(name, (None, {}))
        if "data" in sec:
            problem(where, "Secret %s: use stringData for readable demo values" % name)


# ---- Dockerfile -------------------------------------------------------------------------------


def dockerfile_instructions(path):
    with open(path, encoding="utf-8") as f:
        text = re.sub(r"\\\n", " ", f.read())
    out = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            word, _, rest = line.partition(" ")
            out.append((word.upper(), rest.strip()))
    return out


def needed_packages(bin_dir):
    """Debian packages that provide the shared libraries our binaries need (NEEDED)."""
    pkgs = set()
    for binary in ("shardwave", "shardwave-coordinator", "shardwave-agent"):
        r = run(["readelf", "-d", os.path.join(bin_dir, binary)])
        for lib in re.findall(r"\(NEEDED\)\s+Shared library: \[([^\]]+)\]", r.stdout):
            if lib.startswith(("libasan", "libubsan", "libc.so", "libm.so", "libgcc_s")):
                continue
            q = run(["dpkg", "-S", "*/" + lib])
            for line in q.stdout.splitlines():
                pkgs.add(line.split(":")[0])
    return pkgs


def check_dockerfile(bin_dir, src):
    path = os.path.join(src, "deploy", "Dockerfile")
    ins = dockerfile_instructions(path)
    stages = [i for i, (w, _) in enumerate(ins) if w == "FROM"]
    if len(stages) < 2:
        problem(path, "not multi-stage (%d FROM)" % len(stages))
        return
    first, last = ins[stages[0]][1].split(), ins[stages[-1]][1].split()
    if not first[0].startswith("debian:12") or "AS" not in [w.upper() for w in first]:
        problem(path, "the build stage is not a named debian:12 stage: %s" % first)
    if not last[0].startswith("debian:12"):
        problem(path, "the runtime stage is not debian:12*: %s" % last)
    runtime = ins[stages[-1]:]
    words = [w for w, _ in runtime]
    users = [r for w, r in runtime if w == "USER"]
    if not users or users[-1].split(":")[0] in ("root", "0"):
        problem(path, "the runtime stage does not switch to a non-root USER")
    for w in ("HEALTHCHECK", "CMD"):
        if w not in words:
            problem(path, "the runtime stage has no %s" % w)
    if not any(w == "COPY" and "--from=" in r for w, r in runtime):
        problem(path, "the runtime stage copies nothing from the build stage")
    for w, r in ins:
        if w == "COPY" and "--from=" not in r:
            for source in r.split()[:-1]:
                if not source.startswith("--") and not os.path.exists(os.path.join(src, source)):
                    problem(path, "COPY %s: no such file in the build context" % source)
    for w, r in ins:
        if w == "RUN" and "apt-get install" in r:
            if "--no-install-recommends" not in r:
                problem(path, "apt-get install without --no-install-recommends")
            if "rm -rf /var/lib/apt/lists" not in r:
                problem(path, "apt-get install without removing /var/lib/apt/lists")
    runtime_run = " ".join(r for w, r in runtime if w == "RUN")
    for pkg in sorted(needed_packages(bin_dir)):
        if not re.search(r"(?<![\w.+-])%s(?![\w.+-])" % re.escape(pkg.split(":")[0]), runtime_run):
            problem(path, "the runtime stage does not install %s (a library the binaries need)" %
                    pkg)
    build_run = " ".join(r for w, r in ins[stages[0]:stages[1]] if w == "RUN")
    with open(os.path.join(src, "deploy", "install-deps.sh"), encoding="utf-8") as f:
        deps = re.search(r"PKGS=\((.*?)\)", f.read(), re.S).group(1).split()
    for pkg in deps:
        if pkg.endswith("-dev") and pkg != "libcmocka-dev" and pkg not in build_run.split():
            problem(path, "the build stage does not install %s (deploy/install-deps.sh)" % pkg)
    helps = all_helps(bin_dir)
    for w, r in runtime:
        if w in ("ENTRYPOINT", "CMD") and r.startswith("["):
            import json
            check_command(path + " " + w, json.loads(r), helps)


def main():
    if len(sys.argv) < 4:
        sys.exit(__doc__)
    bin_dir, src = sys.argv[1], sys.argv[2]
    checks = {"config-docs": check_config_docs, "man": check_man, "compose": check_compose,
              "k8s": check_k8s, "dockerfile": check_dockerfile}
    for name in sys.argv[3:]:
        checks[name](bin_dir, src)
    for p in PROBLEMS:
        print(p)
    sys.exit(1 if PROBLEMS else 0)


if __name__ == "__main__":
    main()
