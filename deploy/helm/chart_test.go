package helmtest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"net"
	"net/url"
	"path"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"

	"helm.sh/helm/v4/pkg/chart/common"
	"helm.sh/helm/v4/pkg/chart/common/util"
	"helm.sh/helm/v4/pkg/chart/v2/loader"
	"helm.sh/helm/v4/pkg/engine"
	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/yaml"

	"careconnect/config"
)

const (
	chartDir = "careconnect"
	release  = "careconnect"
)

// valuesFiles are the two ways to reach Temporal the chart ships.
var valuesFiles = []string{"values-temporal-cloud.yaml", "values-self-hosted.yaml"}

// secretValues stand in for the Secrets an operator creates: name -> key ->
// value. A reference to anything else is a wiring error.
var secretValues = map[string]map[string]string{
	"careconnect": {
		"database-url": "postgres://careconnect_app:app-pw-0123@db.careconnect.example.ca:5432/careconnect" +
			"?sslmode=verify-full&sslrootcert=/etc/careconnect/db-ca/ca.crt",
		"migrate-database-url": "postgres://careconnect_migrate:owner-pw-4567@db.careconnect.example.ca:5432/careconnect" +
			"?sslmode=verify-full&sslrootcert=/etc/careconnect/db-ca/ca.crt",
		"links-secret":            "4e1f9b27c3a85d06e7f2a49b1c3d5e7f80a2b4c6d8e0f1a3b5c7d9e2f4a6b8c0",
		"learninghub-secret":      "Zk3p9Q2xLr8vT1mN6bY4cW7hJ0sD5aF2gU8eI3oK9qE=",
		"oidc-client-secret":      "bcsc-client-secret-from-the-secret-7f3a",
		"team-oidc-client-secret": "team-client-secret-from-the-secret-2b9c",
		"smtp-password":           "smtp-password-from-the-secret-91de",
		"codec-keys":              "2026a:ZbChwIf3gX3D+UI3HSTm95rZ2Fz+EKGfnVs0eE45Ns8=",
		// Key rings (README "Key rotation").
		"links-keys":       "default:4e1f9b27c3a85d06e7f2a49b1c3d5e7f80a2b4c6d8e0f1a3b5c7d9e2f4a6b8c0,2026b:b7d1e9a3c5f70248e6a1c3b5d7f9e0a2c4b6d8f1a3c5e7b9d0f2a4c6e8b1d3f5",
		"learninghub-keys": "default:Zk3p9Q2xLr8vT1mN6bY4cW7hJ0sD5aF2gU8eI3oK9qE=,2026b:Tq8v4L2pX9mR4wN7zK1cB5hJ3fD6sG0aYe7Qx2Lm9Pk=",
	},
}

// requiredSecrets are the settings production refuses to start without,
// or with their dev defaults (config.refuseDevDefaults and the key rings'
// rules), in env: each must come from a Secret in every careconnect
// container. Links and LearningHub take a secret or a ring of keys.
func requiredSecrets(env map[string]string) []string {
	req := []string{"CARECONNECT_DATABASE_URL", "CARECONNECT_AUTH_APPLICANT_CLIENT_SECRET", "CARECONNECT_CODEC_KEYS"}
	for _, p := range []string{"CARECONNECT_LINKS_", "CARECONNECT_LEARNINGHUB_"} {
		if _, ring := env[p+"KEYS"]; ring {
			req = append(req, p+"KEYS")
		} else {
			req = append(req, p+"SECRET")
		}
	}
	return req
}

// manifests is what the chart renders, decoded into the Kubernetes types.
type manifests struct {
	deployments map[string]*appsv1.Deployment
	services    map[string]*corev1.Service
	hpas        map[string]*autoscalingv2.HorizontalPodAutoscaler
	pdbs        map[string]*policyv1.PodDisruptionBudget
	jobs        map[string]*batchv1.Job
	netpols     map[string]*networkingv1.NetworkPolicy
	ingresses   map[string]*networkingv1.Ingress
	kinds       []string // "Kind/name" of every object, sorted
}

// render renders the chart with the values file (relative to the chart)
// and the overrides, as `helm template` would, and decodes every manifest
// strictly: an unknown kind or field, or a duplicate key, fails the test.
func render(t *testing.T, valuesFile string, overrides map[string]any) *manifests {
	t.Helper()
	m, err := tryRender(valuesFile, overrides)
	if err != nil {
		t.Fatalf("rendering with %s: %v", valuesFile, err)
	}
	return m
}

func tryRender(valuesFile string, overrides map[string]any) (*manifests, error) {
	ch, err := loader.Load(chartDir)
	if err != nil {
		return nil, err
	}
	vals := map[string]any{}
	if valuesFile != "" {
		if vals, err = common.ReadValuesFile(path.Join(chartDir, valuesFile)); err != nil {
			return nil, err
		}
	}
	for k, v := range overrides {
		setPath(vals, k, v)
	}
	rv, err := util.ToRenderValues(ch, vals, common.ReleaseOptions{Name: release, Namespace: "careconnect", IsInstall: true, Revision: 1}, nil)
	if err != nil {
		return nil, err
	}
	files, err := engine.Engine{Strict: true}.Render(ch, rv)
	if err != nil {
		return nil, err
	}
	m := &manifests{deployments: map[string]*appsv1.Deployment{}, services: map[string]*corev1.Service{},
		hpas: map[string]*autoscalingv2.HorizontalPodAutoscaler{}, pdbs: map[string]*policyv1.PodDisruptionBudget{},
		jobs: map[string]*batchv1.Job{}, netpols: map[string]*networkingv1.NetworkPolicy{}, ingresses: map[string]*networkingv1.Ingress{}}
	names := slices.Sorted(maps.Keys(files))
	for _, name := range names {
		if strings.HasSuffix(name, "NOTES.txt") {
			continue
		}
		for i, doc := range regexp.MustCompile(`(?m)^---\s*$`).Split(files[name], -1) {
			if strings.TrimSpace(stripComments(doc)) == "" {
				continue
			}
			if err := m.decode([]byte(doc)); err != nil {
				return nil, fmt.Errorf("%s, document %d: %w\n%s", name, i, err, doc)
			}
		}
	}
	sort.Strings(m.kinds)
	return m, nil
}

func stripComments(doc string) string {
	var b strings.Builder
	for _, line := range strings.Split(doc, "\n") {
		if !strings.HasPrefix(strings.TrimSpace(line), "#") {
			b.WriteString(line + "\n")
		}
	}
	return b.String()
}

// decode reads one manifest into its Kubernetes type, refusing unknown
// fields (a misspelt or misplaced key would be dropped by the API server,
// or refused by it: either way the chart is wrong).
func (m *manifests) decode(doc []byte) error {
	js, err := yaml.YAMLToJSONStrict(doc)
	if err != nil {
		return err
	}
	var tm metav1.TypeMeta
	if err := json.Unmarshal(js, &tm); err != nil {
		return err
	}
	strict := func(v any) error {
		d := json.NewDecoder(bytes.NewReader(js))
		d.DisallowUnknownFields()
		return d.Decode(v)
	}
	var name string
	switch tm.APIVersion + " " + tm.Kind {
	case "apps/v1 Deployment":
		o := &appsv1.Deployment{}
		err, name = strict(o), o.Name
		m.deployments[name] = o
	case "v1 Service":
		o := &corev1.Service{}
		err, name = strict(o), o.Name
		m.services[name] = o
	case "autoscaling/v2 HorizontalPodAutoscaler":
		o := &autoscalingv2.HorizontalPodAutoscaler{}
		err, name = strict(o), o.Name
		m.hpas[name] = o
	case "policy/v1 PodDisruptionBudget":
		o := &policyv1.PodDisruptionBudget{}
		err, name = strict(o), o.Name
		m.pdbs[name] = o
	case "batch/v1 Job":
		o := &batchv1.Job{}
		err, name = strict(o), o.Name
		m.jobs[name] = o
	case "networking.k8s.io/v1 NetworkPolicy":
		o := &networkingv1.NetworkPolicy{}
		err, name = strict(o), o.Name
		m.netpols[name] = o
	case "networking.k8s.io/v1 Ingress":
		o := &networkingv1.Ingress{}
		err, name = strict(o), o.Name
		m.ingresses[name] = o
	default:
		return fmt.Errorf("unexpected object %s %s: the test decodes every kind the chart renders", tm.APIVersion, tm.Kind)
	}
	if err != nil {
		return fmt.Errorf("%s: %w", tm.Kind, err)
	}
	m.kinds = append(m.kinds, tm.Kind+"/"+name)
	return nil
}

// setPath sets a dotted key in a values map.
func setPath(vals map[string]any, key string, v any) {
	parts := strings.Split(key, ".")
	for _, p := range parts[:len(parts)-1] {
		next, ok := vals[p].(map[string]any)
		if !ok {
			next = map[string]any{}
			vals[p] = next
		}
		vals = next
	}
	vals[parts[len(parts)-1]] = v
}

// workload is a careconnect container in its pod.
type workload struct {
	name      string
	pod       corev1.PodSpec
	container corev1.Container
	labels    map[string]string
}

func (m *manifests) workloads(t *testing.T) map[string]workload {
	t.Helper()
	out := map[string]workload{}
	one := func(name string, tmpl corev1.PodTemplateSpec) {
		if len(tmpl.Spec.Containers) != 1 {
			t.Fatalf("%s: %d containers; want careconnect alone", name, len(tmpl.Spec.Containers))
		}
		out[name] = workload{name: name, pod: tmpl.Spec, container: tmpl.Spec.Containers[0], labels: tmpl.Labels}
	}
	for _, role := range []string{"api", "worker"} {
		d := m.deployments[release+"-"+role]
		if d == nil {
			t.Fatalf("no Deployment %s-%s; have %v", release, role, m.kinds)
		}
		one(role, d.Spec.Template)
	}
	j := m.jobs[release+"-migrate"]
	if j == nil {
		t.Fatalf("no Job %s-migrate; have %v", release, m.kinds)
	}
	one("migrate", j.Spec.Template)
	return out
}

// environment resolves a container's environment as the kubelet would,
// with the test's Secrets; it fails on a reference to an unknown Secret
// key, and reports which variables came from Secrets.
func environment(t *testing.T, w workload) (env map[string]string, fromSecret map[string]bool) {
	t.Helper()
	env, fromSecret = map[string]string{}, map[string]bool{}
	if len(w.container.EnvFrom) != 0 {
		t.Errorf("%s: envFrom %v; the chart renders every variable explicitly", w.name, w.container.EnvFrom)
	}
	for _, e := range w.container.Env {
		if _, dup := env[e.Name]; dup {
			t.Errorf("%s: %s is set twice", w.name, e.Name)
		}
		switch {
		case e.ValueFrom == nil:
			env[e.Name] = e.Value
		case e.ValueFrom.SecretKeyRef != nil:
			ref := e.ValueFrom.SecretKeyRef
			v, ok := secretValues[ref.Name][ref.Key]
			if !ok {
				t.Errorf("%s: %s comes from Secret %s key %s, which the chart's documented Secret layout does not have", w.name, e.Name, ref.Name, ref.Key)
			}
			env[e.Name], fromSecret[e.Name] = v, true
		default:
			t.Errorf("%s: %s comes from %+v; want a value or a secretKeyRef", w.name, e.Name, e.ValueFrom)
		}
	}
	return env, fromSecret
}

// load runs config.Load on env, failing on a variable it never reads.
func load(t *testing.T, what string, env map[string]string) (config.Config, error) {
	t.Helper()
	used := map[string]bool{}
	c, err := config.Load("", func(k string) (string, bool) {
		v, ok := env[k]
		used[k] = used[k] || ok
		return v, ok
	})
	if err == nil {
		for k := range env {
			if !used[k] {
				t.Errorf("%s: %s is set but config.Load never reads it (misspelt key?)", what, k)
			}
		}
	}
	return c, err
}

func port(t *testing.T, hostport string) int32 {
	t.Helper()
	_, p, err := net.SplitHostPort(hostport)
	if err != nil {
		t.Fatalf("%q: %v", hostport, err)
	}
	n, err := strconv.Atoi(p)
	if err != nil {
		t.Fatal(err)
	}
	return int32(n)
}

func containerPort(c corev1.Container, name string) int32 {
	for _, p := range c.Ports {
		if p.Name == name {
			return p.ContainerPort
		}
	}
	return 0
}

// TestChart renders the chart with each values file and checks its wiring.
func TestChart(t *testing.T) {
	for _, vf := range valuesFiles {
		t.Run(vf, func(t *testing.T) {
			m := render(t, vf, nil)
			want := []string{"Deployment/careconnect-api", "Deployment/careconnect-worker", "HorizontalPodAutoscaler/careconnect-api",
				"Job/careconnect-migrate", "NetworkPolicy/careconnect-api", "NetworkPolicy/careconnect-migrate", "NetworkPolicy/careconnect-worker",
				"PodDisruptionBudget/careconnect-api", "PodDisruptionBudget/careconnect-worker", "Service/careconnect-api", "Service/careconnect-worker"}
			if len(m.ingresses) > 0 {
				want = append(want, "Ingress/careconnect-api")
				sort.Strings(want)
			}
			if !slices.Equal(m.kinds, want) {
				t.Errorf("objects = %v; want %v", m.kinds, want)
			}
			ws := m.workloads(t)
			for _, w := range ws {
				checkSecurity(t, w)
				checkEnvironment(t, m, w)
			}
			checkPortsAndProbes(t, m, ws)
			checkSelectors(t, m, ws)
			checkMigrateHook(t, m)
			checkNetworkPolicies(t, m, ws)
			checkTemporalFiles(t, m, ws)
		})
	}
}

// checkSecurity: non-root, read-only root file system, no privilege
// escalation, no capabilities, RuntimeDefault seccomp, no service account
// token, and a writable /tmp.
func checkSecurity(t *testing.T, w workload) {
	t.Helper()
	ps := w.pod.SecurityContext
	if ps == nil || ps.RunAsNonRoot == nil || !*ps.RunAsNonRoot || ps.RunAsUser == nil || *ps.RunAsUser == 0 ||
		ps.SeccompProfile == nil || ps.SeccompProfile.Type != corev1.SeccompProfileTypeRuntimeDefault {
		t.Errorf("%s: pod securityContext %+v; want runAsNonRoot, a non-zero user, RuntimeDefault seccomp", w.name, ps)
	}
	cs := w.container.SecurityContext
	if cs == nil || cs.ReadOnlyRootFilesystem == nil || !*cs.ReadOnlyRootFilesystem || cs.AllowPrivilegeEscalation == nil ||
		*cs.AllowPrivilegeEscalation || cs.Capabilities == nil || !slices.Equal(cs.Capabilities.Drop, []corev1.Capability{"ALL"}) ||
		cs.Privileged != nil && *cs.Privileged {
		t.Errorf("%s: container securityContext %+v; want a read-only root, no escalation, every capability dropped", w.name, cs)
	}
	if w.pod.AutomountServiceAccountToken == nil || *w.pod.AutomountServiceAccountToken {
		t.Errorf("%s: the Kubernetes API token is mounted; careconnect never calls the API", w.name)
	}
	var tmp bool
	for _, vm := range w.container.VolumeMounts {
		if vm.MountPath == "/tmp" {
			for _, v := range w.pod.Volumes {
				tmp = tmp || v.Name == vm.Name && v.EmptyDir != nil
			}
		}
		if vm.SubPath != "" {
			t.Errorf("%s: %s mounted with subPath; an updated Secret would never reach it", w.name, vm.MountPath)
		}
	}
	if !tmp {
		t.Errorf("%s: no emptyDir on /tmp; with a read-only root file system uploads have nowhere to spill", w.name)
	}
	for _, v := range w.pod.Volumes {
		if v.Secret != nil && (v.Secret.DefaultMode == nil || *v.Secret.DefaultMode != 0o440 || len(v.Secret.Items) != 0) {
			t.Errorf("%s: Secret volume %s: mode %v, items %v; want the whole Secret, readable by the pod's group only",
				w.name, v.Name, v.Secret.DefaultMode, v.Secret.Items)
		}
	}
	if w.container.Image != "registry.example.ca/careconnect/careconnect:0.1.0" {
		t.Errorf("%s: image %s; want the chart's appVersion", w.name, w.container.Image)
	}
	if !slices.Equal(w.container.Args, []string{w.name}) {
		t.Errorf("%s: args %v; want [%s]", w.name, w.container.Args, w.name)
	}
	if w.container.Resources.Requests.Cpu().IsZero() || w.container.Resources.Limits.Memory().IsZero() {
		t.Errorf("%s: resources %+v; want a CPU request (for the autoscaler) and a memory limit", w.name, w.container.Resources)
	}
}

// checkEnvironment loads each container's environment through config.Load:
// every variable is a setting, production validation passes, and every
// secret production requires comes from a Secret and is indeed required.
func checkEnvironment(t *testing.T, m *manifests, w workload) {
	t.Helper()
	env, fromSecret := environment(t, w)
	c, err := load(t, w.name, env)
	if err != nil {
		t.Errorf("%s: config.Load with the rendered environment: %v", w.name, err)
		return
	}
	if c.Env != config.EnvProduction || c.Temporal.RegisterSearchAttributes || !c.Temporal.TLSOn() {
		t.Errorf("%s: env %s, register search attributes %v, Temporal TLS %v; want production, false, on",
			w.name, c.Env, c.Temporal.RegisterSearchAttributes, c.Temporal.TLSOn())
	}
	for _, k := range requiredSecrets(env) {
		if !fromSecret[k] {
			t.Errorf("%s: %s does not come from a Secret", w.name, k)
		}
		without := maps.Clone(env)
		delete(without, k)
		if _, err := load(t, w.name, without); err == nil {
			t.Errorf("%s: production starts without %s; the test's list of required secrets is stale", w.name, k)
		}
	}
	secretish := regexp.MustCompile(`SECRET|PASSWORD|API_KEY$|_KEYS$|DATABASE_URL`)
	for k := range env {
		if secretish.MatchString(k) && !fromSecret[k] {
			t.Errorf("%s: %s has a literal value; secrets come from Secrets", w.name, k)
		}
	}
	// The SMTP password goes to the worker, which sends mail, only.
	if got, want := fromSecret["CARECONNECT_SMTP_PASSWORD"], w.name == "worker"; got != want {
		t.Errorf("%s: SMTP password from a Secret: %v; want %v", w.name, got, want)
	}
	// The migrate job connects as the schema's owner; the others do not.
	u, err := url.Parse(env["CARECONNECT_DATABASE_URL"])
	if err != nil {
		t.Fatal(err)
	}
	if owner := u.User.Username() == "careconnect_migrate"; owner != (w.name == "migrate") {
		t.Errorf("%s: connects to PostgreSQL as %s", w.name, u.User.Username())
	}
	// The database's CA, which the URL names, is mounted there.
	if rootcert := u.Query().Get("sslrootcert"); rootcert != "" && !mountedSecretFile(w, rootcert) {
		t.Errorf("%s: sslrootcert %s is not in a mounted Secret", w.name, rootcert)
	}
}

// mountedSecretFile reports whether file lies in a Secret volume the
// container mounts.
func mountedSecretFile(w workload, file string) bool {
	for _, vm := range w.container.VolumeMounts {
		if path.Dir(file) != vm.MountPath {
			continue
		}
		for _, v := range w.pod.Volumes {
			if v.Name == vm.Name && v.Secret != nil {
				return true
			}
		}
	}
	return false
}

// checkPortsAndProbes: the listeners' settings, the container ports, the
// probes (on the admin listener: /healthz for life, /readyz for
// readiness), the Service and the Ingress all agree.
func checkPortsAndProbes(t *testing.T, m *manifests, ws map[string]workload) {
	t.Helper()
	for _, name := range []string{"api", "worker"} {
		w := ws[name]
		env, _ := environment(t, w)
		admin := port(t, env["CARECONNECT_HTTP_ADMIN_ADDR"])
		if containerPort(w.container, "admin") != admin {
			t.Errorf("%s: container port admin = %d; http.admin_addr listens on %d", name, containerPort(w.container, "admin"), admin)
		}
		c := w.container
		for _, p := range []struct {
			what  string
			probe *corev1.Probe
			path  string
		}{{"liveness", c.LivenessProbe, "/healthz"}, {"readiness", c.ReadinessProbe, "/readyz"}, {"startup", c.StartupProbe, "/healthz"}} {
			if p.probe == nil || p.probe.HTTPGet == nil || p.probe.HTTPGet.Path != p.path || p.probe.HTTPGet.Port.String() != "admin" {
				t.Errorf("%s: %s probe %+v; want GET %s on the admin port", name, p.what, p.probe, p.path)
			}
		}
	}
	api := ws["api"]
	env, _ := environment(t, api)
	if http := port(t, env["CARECONNECT_HTTP_ADDR"]); containerPort(api.container, "http") != http {
		t.Errorf("api: container port http = %d; http.addr listens on %d", containerPort(api.container, "http"), http)
	}
	svc := m.services[release+"-api"]
	for _, sp := range svc.Spec.Ports {
		if containerPort(api.container, sp.TargetPort.String()) == 0 {
			t.Errorf("api Service port %s targets %s, which the container does not name", sp.Name, sp.TargetPort.String())
		}
	}
	for _, sp := range m.services[release+"-worker"].Spec.Ports {
		if containerPort(ws["worker"].container, sp.TargetPort.String()) == 0 {
			t.Errorf("worker Service port %s targets %s, which the container does not name", sp.Name, sp.TargetPort.String())
		}
	}
	for _, ing := range m.ingresses {
		for _, r := range ing.Spec.Rules {
			for _, p := range r.HTTP.Paths {
				b := p.Backend.Service
				if b.Name != svc.Name || b.Port.Name != "http" {
					t.Errorf("Ingress %s routes to %s:%s; want %s:http", ing.Name, b.Name, b.Port.Name, svc.Name)
				}
			}
		}
		if len(ing.Spec.TLS) == 0 || ing.Spec.TLS[0].SecretName == "" {
			t.Errorf("Ingress %s has no TLS; the portal is https only", ing.Name)
		}
		if host := ing.Spec.Rules[0].Host; !strings.Contains(env["CARECONNECT_HTTP_PUBLIC_BASE_URL"], "://"+host) {
			t.Errorf("Ingress host %s; emailed links start with %s", host, env["CARECONNECT_HTTP_PUBLIC_BASE_URL"])
		}
	}
}

func matches(sel *metav1.LabelSelector, labels map[string]string) bool {
	if sel == nil || len(sel.MatchExpressions) > 0 || len(sel.MatchLabels) == 0 {
		return false
	}
	for k, v := range sel.MatchLabels {
		if labels[k] != v {
			return false
		}
	}
	return true
}

// checkSelectors: each Deployment, Service, PodDisruptionBudget and the
// autoscaler find their own pods and no others.
func checkSelectors(t *testing.T, m *manifests, ws map[string]workload) {
	t.Helper()
	for _, name := range []string{"api", "worker"} {
		d := m.deployments[release+"-"+name]
		for other, w := range ws {
			if got := matches(d.Spec.Selector, w.labels); got != (other == name) {
				t.Errorf("Deployment %s selects %s's pods: %v", d.Name, other, got)
			}
			if got := matches(&metav1.LabelSelector{MatchLabels: m.services[release+"-"+name].Spec.Selector}, w.labels); got != (other == name) {
				t.Errorf("Service %s-%s selects %s's pods: %v", release, name, other, got)
			}
			if got := matches(m.pdbs[release+"-"+name].Spec.Selector, w.labels); got != (other == name) {
				t.Errorf("PodDisruptionBudget %s-%s selects %s's pods: %v", release, name, other, got)
			}
		}
		if pdb := m.pdbs[release+"-"+name]; pdb.Spec.MinAvailable == nil || pdb.Spec.MinAvailable.IntValue() < 1 {
			t.Errorf("PodDisruptionBudget %s: minAvailable %v; want at least 1", pdb.Name, pdb.Spec.MinAvailable)
		}
		if d.Spec.Strategy.RollingUpdate == nil || d.Spec.Strategy.RollingUpdate.MaxUnavailable.IntValue() != 0 {
			t.Errorf("Deployment %s: a rollout may take pods away before new ones are ready", d.Name)
		}
	}
	hpa := m.hpas[release+"-api"]
	if ref := hpa.Spec.ScaleTargetRef; ref.Kind != "Deployment" || ref.Name != release+"-api" || ref.APIVersion != "apps/v1" {
		t.Errorf("HPA scales %+v; want the api Deployment", ref)
	}
	if hpa.Spec.MinReplicas == nil || *hpa.Spec.MinReplicas < 2 || hpa.Spec.MaxReplicas < *hpa.Spec.MinReplicas {
		t.Errorf("HPA replicas %v..%d; want at least 2", hpa.Spec.MinReplicas, hpa.Spec.MaxReplicas)
	}
	if d := m.deployments[release+"-api"]; d.Spec.Replicas != nil {
		t.Errorf("the api Deployment sets replicas %d while the autoscaler owns them", *d.Spec.Replicas)
	}
}

// checkMigrateHook: the migrations run before install and upgrade, and
// the Job is replaced each time.
func checkMigrateHook(t *testing.T, m *manifests) {
	t.Helper()
	j := m.jobs[release+"-migrate"]
	a := j.Annotations
	hooks := strings.Split(a["helm.sh/hook"], ",")
	slices.Sort(hooks)
	if !slices.Equal(hooks, []string{"pre-install", "pre-upgrade"}) {
		t.Errorf("migrate hook = %q; want pre-install,pre-upgrade", a["helm.sh/hook"])
	}
	if !strings.Contains(a["helm.sh/hook-delete-policy"], "before-hook-creation") {
		t.Errorf("migrate hook-delete-policy = %q; want before-hook-creation (a re-run replaces the Job)", a["helm.sh/hook-delete-policy"])
	}
	if j.Spec.Template.Spec.RestartPolicy != corev1.RestartPolicyNever || j.Spec.BackoffLimit == nil || j.Spec.ActiveDeadlineSeconds == nil {
		t.Errorf("migrate Job: restartPolicy %s, backoffLimit %v, activeDeadlineSeconds %v", j.Spec.Template.Spec.RestartPolicy,
			j.Spec.BackoffLimit, j.Spec.ActiveDeadlineSeconds)
	}
	// Nothing the hook needs is created by the release itself (a
	// pre-install hook runs before the release's objects exist).
	for _, v := range j.Spec.Template.Spec.Volumes {
		if v.ConfigMap != nil || v.PersistentVolumeClaim != nil {
			t.Errorf("migrate Job mounts %s from the release; it does not exist before install", v.Name)
		}
	}
	if j.Spec.Template.Spec.ServiceAccountName != "" {
		t.Errorf("migrate Job uses service account %s", j.Spec.Template.Spec.ServiceAccountName)
	}
}

// checkNetworkPolicies: each component's pods are selected by exactly one
// policy, which denies by default both ways and allows the listeners' and
// the dependencies' ports.
func checkNetworkPolicies(t *testing.T, m *manifests, ws map[string]workload) {
	t.Helper()
	for name, w := range ws {
		var selected []*networkingv1.NetworkPolicy
		for _, np := range m.netpols {
			if matches(&np.Spec.PodSelector, w.labels) {
				selected = append(selected, np)
			}
		}
		if len(selected) != 1 {
			t.Errorf("%s's pods are selected by %d NetworkPolicies; want 1", name, len(selected))
			continue
		}
		np := selected[0]
		if !slices.Equal(np.Spec.PolicyTypes, []networkingv1.PolicyType{networkingv1.PolicyTypeIngress, networkingv1.PolicyTypeEgress}) {
			t.Errorf("%s: policy types %v; want Ingress and Egress (deny by default both ways)", np.Name, np.Spec.PolicyTypes)
		}
		var in []string
		for _, r := range np.Spec.Ingress {
			if len(r.From) == 0 {
				t.Errorf("%s: an ingress rule from anywhere", np.Name)
			}
			for _, p := range r.Ports {
				in = append(in, p.Port.String())
			}
		}
		slices.Sort(in)
		wantIn := map[string][]string{"api": {"admin", "http"}, "worker": {"admin"}, "migrate": nil}[name]
		if !slices.Equal(in, wantIn) {
			t.Errorf("%s: ingress to ports %v; want %v", np.Name, in, wantIn)
		}
		out := map[int32]bool{}
		for _, r := range np.Spec.Egress {
			for _, p := range r.Ports {
				out[int32(p.Port.IntValue())] = true
			}
		}
		env, _ := environment(t, w)
		db, _ := url.Parse(env["CARECONNECT_DATABASE_URL"])
		want := []int32{53, port(t, net.JoinHostPort(db.Hostname(), db.Port()))}
		if name != "migrate" {
			want = append(want, port(t, env["CARECONNECT_TEMPORAL_ADDRESS"]))
		}
		if name == "worker" {
			n, _ := strconv.Atoi(env["CARECONNECT_SMTP_PORT"])
			want = append(want, int32(n))
		}
		if name == "api" {
			want = append(want, 443) // the OIDC issuers
		}
		for _, p := range want {
			if !out[p] {
				t.Errorf("%s: no egress to port %d, which %s needs", np.Name, p, name)
			}
		}
		if len(out) != len(want) {
			t.Errorf("%s: egress to ports %v; want only %v", np.Name, slices.Sorted(maps.Keys(out)), want)
		}
	}
}

// checkTemporalFiles: the Temporal credentials the settings name are in
// mounted Secrets (whole, so rotation reaches them), for the api and the
// worker only.
func checkTemporalFiles(t *testing.T, m *manifests, ws map[string]workload) {
	t.Helper()
	for name, w := range ws {
		env, _ := environment(t, w)
		for _, k := range []string{"CARECONNECT_TEMPORAL_TLS_CA_FILE", "CARECONNECT_TEMPORAL_TLS_CERT_FILE", "CARECONNECT_TEMPORAL_TLS_KEY_FILE",
			"CARECONNECT_TEMPORAL_API_KEY_FILE"} {
			file, set := env[k]
			if !set {
				continue
			}
			if !mountedSecretFile(w, file) {
				t.Errorf("%s: %s=%s is not in a mounted Secret", name, k, file)
			}
			if name == "migrate" {
				for _, vm := range w.container.VolumeMounts {
					if strings.Contains(vm.MountPath, "temporal") {
						t.Errorf("migrate mounts %s; it needs no Temporal credentials", vm.MountPath)
					}
				}
			}
		}
	}
}

// TestTemporalChoices: the Cloud values authenticate with an API key file,
// the self-hosted ones with the CA and a client certificate.
func TestTemporalChoices(t *testing.T) {
	cases := map[string]func(t *testing.T, c config.Config){
		"values-temporal-cloud.yaml": func(t *testing.T, c config.Config) {
			if c.Temporal.APIKeyFile == "" || c.Temporal.TLS.CertFile != "" || c.Temporal.TLS.CAFile != "" {
				t.Errorf("Cloud: %+v; want an API key file and the system roots", c.Temporal)
			}
		},
		"values-self-hosted.yaml": func(t *testing.T, c config.Config) {
			if c.Temporal.APIKeyFile != "" || c.Temporal.TLS.CertFile == "" || c.Temporal.TLS.KeyFile == "" || c.Temporal.TLS.CAFile == "" ||
				c.Temporal.TLS.ServerName == "" {
				t.Errorf("self-hosted: %+v; want mTLS with the cluster's CA and server name", c.Temporal)
			}
		},
	}
	for vf, check := range cases {
		t.Run(vf, func(t *testing.T) {
			m := render(t, vf, nil)
			for _, role := range []string{"api", "worker"} {
				env, _ := environment(t, m.workloads(t)[role])
				c, err := load(t, role, env)
				if err != nil {
					t.Fatal(err)
				}
				check(t, c)
			}
		})
	}
}

// TestChartOptions: a team issuer adds its client secret from the Secret;
// key rings replace the single link and LearningHub secrets; a digest pins
// the image; autoscaling off gives the replicas back to the Deployment.
func TestChartOptions(t *testing.T) {
	m := render(t, "values-self-hosted.yaml", map[string]any{
		"auth.teamIssuer": "https://team-idp.health.example.ca", "auth.teamClientID": "careconnect-team",
		"secrets.linksKeysKey": "links-keys", "keys.linksActive": "2026b",
		"secrets.learningHubKeysKey": "learninghub-keys", "keys.learningHubActive": "2026b",
		"codec.uiOrigin":          "https://temporal-ui.careconnect.example.ca",
		"image.digest":            "sha256:" + strings.Repeat("ab", 32),
		"api.autoscaling.enabled": false,
		"api.replicas":            3,
		"networkPolicy.enabled":   false,
	})
	ws := m.workloads(t)
	env, fromSecret := environment(t, ws["api"])
	if !fromSecret["CARECONNECT_AUTH_TEAM_CLIENT_SECRET"] || env["CARECONNECT_AUTH_TEAM_ISSUER"] == "" {
		t.Errorf("with a team issuer: %v; want its client secret from the Secret", env)
	}
	for _, k := range []string{"CARECONNECT_LINKS_KEYS", "CARECONNECT_LEARNINGHUB_KEYS"} {
		if !fromSecret[k] {
			t.Errorf("with key rings: %s does not come from the Secret", k)
		}
	}
	if _, set := env["CARECONNECT_LINKS_SECRET"]; set {
		t.Error("with a links key ring, links.secret is set too; production refuses both")
	}
	c, err := load(t, "api", env)
	if err != nil {
		t.Fatalf("with a team issuer and key rings: %v", err)
	}
	if active, keys, err := c.Links.Ring(); err != nil || active != "2026b" || len(keys) != 2 {
		t.Errorf("links ring: %q, %d keys, %v; want 2026b active of 2", active, len(keys), err)
	}
	if c.CodecUIOrigin() != "https://temporal-ui.careconnect.example.ca" {
		t.Errorf("codec UI origin = %q", c.CodecUIOrigin())
	}
	for _, k := range requiredSecrets(env) {
		without := maps.Clone(env)
		delete(without, k)
		if _, err := load(t, "api", without); err == nil {
			t.Errorf("production starts without %s", k)
		}
	}
	if img := ws["api"].container.Image; img != "registry.example.ca/careconnect/careconnect@sha256:"+strings.Repeat("ab", 32) {
		t.Errorf("image = %s; want the digest", img)
	}
	if len(m.hpas) != 0 || m.deployments[release+"-api"].Spec.Replicas == nil || *m.deployments[release+"-api"].Spec.Replicas != 3 {
		t.Errorf("autoscaling off: %d autoscalers, replicas %v; want none and 3", len(m.hpas), m.deployments[release+"-api"].Spec.Replicas)
	}
	if len(m.netpols) != 0 {
		t.Errorf("networkPolicy.enabled=false rendered %d NetworkPolicies", len(m.netpols))
	}
}

// TestChartRequiresTheSite: without the site's names (the chart's
// defaults alone), rendering stops and names what is missing.
func TestChartRequiresTheSite(t *testing.T) {
	_, err := tryRender("", nil)
	if err == nil || !strings.Contains(err.Error(), "is required") {
		t.Fatalf("rendering with the defaults alone: %v; want a required value named", err)
	}
	_, err = tryRender("values-self-hosted.yaml", map[string]any{"api.ingress.tlsSecret": ""})
	if err == nil || !strings.Contains(err.Error(), "tlsSecret") {
		t.Errorf("an Ingress without TLS: %v; want it refused", err)
	}
}
