// Command validate checks rendered Kubernetes manifests the way an API server would accept them on create.
//
// Per YAML document: strict decoding into the Kubernetes types (an unknown or duplicate field is an error),
// defaulting and conversion to the internal version, the registry strategy's create path
// (rest.BeforeCreate: PrepareForCreate, Validate, metadata validation, WarningsOnCreate), and the Pod
// Security admission checks at the requested level for every pod template. It also enforces the chart
// rule that every name fits 63 characters. Not covered: admission webhooks, quota, referenced objects.
//
// Usage: validate [-level restricted] [-warnings-are-errors] FILE... ("-" or no file: standard input).
// Exit status 0 when every document passes, 1 when one fails, 2 on usage errors.
package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/runtime/serializer/json"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	genericapirequest "k8s.io/apiserver/pkg/endpoints/request"
	"k8s.io/apiserver/pkg/registry/rest"
	"k8s.io/apiserver/pkg/warning"
	"k8s.io/kubernetes/pkg/api/legacyscheme"
	_ "k8s.io/kubernetes/pkg/apis/apps/install"
	_ "k8s.io/kubernetes/pkg/apis/batch/install"
	_ "k8s.io/kubernetes/pkg/apis/core/install"
	_ "k8s.io/kubernetes/pkg/apis/policy/install"
	"k8s.io/kubernetes/pkg/registry/apps/deployment"
	"k8s.io/kubernetes/pkg/registry/batch/job"
	"k8s.io/kubernetes/pkg/registry/core/configmap"
	"k8s.io/kubernetes/pkg/registry/core/pod"
	"k8s.io/kubernetes/pkg/registry/core/secret"
	"k8s.io/kubernetes/pkg/registry/core/service"
	"k8s.io/kubernetes/pkg/registry/core/serviceaccount"
	"k8s.io/kubernetes/pkg/registry/policy/poddisruptionbudget"
	psaapi "k8s.io/pod-security-admission/api"
	psapolicy "k8s.io/pod-security-admission/policy"
)

// maxNameLength is the chart rule: names are DNS labels (Services, and Jobs whose name becomes a label value).
const maxNameLength = 63

// strategies are the kinds a chart of this project may render; anything else is rejected, not skipped.
var strategies = map[schema.GroupKind]rest.RESTCreateStrategy{
	{Group: "", Kind: "ConfigMap"}:                configmap.Strategy,
	{Group: "", Kind: "Pod"}:                      pod.Strategy,
	{Group: "", Kind: "Secret"}:                   secret.Strategy,
	{Group: "", Kind: "Service"}:                  service.Strategy,
	{Group: "", Kind: "ServiceAccount"}:           serviceaccount.Strategy,
	{Group: "apps", Kind: "Deployment"}:           deployment.Strategy,
	{Group: "batch", Kind: "Job"}:                 job.Strategy,
	{Group: "policy", Kind: "PodDisruptionBudget"}: poddisruptionbudget.Strategy,
}

type warnings struct{ texts []string }

func (w *warnings) AddWarning(_, text string) { w.texts = append(w.texts, text) }

type checker struct {
	decoder          *json.Serializer
	evaluator        psapolicy.Evaluator
	level            psaapi.LevelVersion
	warningsAreFatal bool
}

func main() {
	level := flag.String("level", "restricted", "Pod Security level every pod template must meet (privileged, baseline, restricted)")
	fatalWarnings := flag.Bool("warnings-are-errors", true, "fail a document on API server warnings")
	flag.Parse()
	parsed, err := psaapi.ParseLevel(*level)
	if err != nil {
		fmt.Fprintf(os.Stderr, "validate: -level %q: %v\n", *level, err)
		os.Exit(2)
	}
	evaluator, err := psapolicy.NewEvaluator(psapolicy.DefaultChecks(), nil)
	if err != nil {
		fmt.Fprintf(os.Stderr, "validate: pod security evaluator: %v\n", err)
		os.Exit(2)
	}
	c := &checker{
		decoder: json.NewSerializerWithOptions(json.DefaultMetaFactory, legacyscheme.Scheme, legacyscheme.Scheme,
			json.SerializerOptions{Yaml: true, Strict: true}),
		evaluator:        evaluator,
		level:            psaapi.LevelVersion{Level: parsed, Version: psaapi.LatestVersion()},
		warningsAreFatal: *fatalWarnings,
	}
	files := flag.Args()
	if len(files) == 0 {
		files = []string{"-"}
	}
	failed, total := 0, 0
	for _, name := range files {
		f, n, err := c.file(name)
		if err != nil {
			fmt.Fprintf(os.Stderr, "validate: %s: %v\n", name, err)
			os.Exit(2)
		}
		failed, total = failed+f, total+n
	}
	if total == 0 {
		fmt.Println("FAIL: no documents")
		os.Exit(1)
	}
	fmt.Printf("%d documents, %d failed\n", total, failed)
	if failed > 0 {
		os.Exit(1)
	}
}

func (c *checker) file(name string) (failed, total int, err error) {
	var in io.Reader = os.Stdin
	if name != "-" {
		f, err := os.Open(name)
		if err != nil {
			return 0, 0, err
		}
		defer f.Close()
		in = f
	}
	reader := utilyaml.NewYAMLReader(bufio.NewReader(in))
	for {
		doc, err := reader.Read()
		if errors.Is(err, io.EOF) {
			return failed, total, nil
		}
		if err != nil {
			return failed, total, err
		}
		if isEmpty(doc) {
			continue
		}
		total++
		label, problems := c.document(doc)
		if len(problems) == 0 {
			fmt.Printf("ok   %s\n", label)
			continue
		}
		failed++
		for _, p := range problems {
			fmt.Printf("FAIL %s: %s\n", label, p)
		}
	}
}

// isEmpty is true for a document holding only comments and blank lines (Helm leaves those for disabled templates).
func isEmpty(doc []byte) bool {
	for _, line := range bytes.Split(doc, []byte("\n")) {
		t := bytes.TrimSpace(line)
		if len(t) > 0 && t[0] != '#' && !bytes.Equal(t, []byte("---")) {
			return false
		}
	}
	return true
}

func (c *checker) document(doc []byte) (string, []string) {
	obj, gvk, err := c.decoder.Decode(doc, nil, nil)
	label := "document"
	if gvk != nil {
		label = gvk.Kind
	}
	if obj != nil {
		if accessor, aerr := metaOf(obj); aerr == nil {
			label = fmt.Sprintf("%s/%s", label, accessor.GetName())
		}
	}
	if err != nil {
		// A strict decoding error still returns the object; it is a failure all the same.
		return label, []string{"decode: " + err.Error()}
	}
	var problems []string
	if accessor, _ := metaOf(obj); accessor != nil && len(accessor.GetName()) > maxNameLength {
		problems = append(problems, fmt.Sprintf("metadata.name is %d characters, over %d", len(accessor.GetName()), maxNameLength))
	}
	legacyscheme.Scheme.Default(obj)
	problems = append(problems, c.podSecurity(obj)...)
	problems = append(problems, c.create(obj, *gvk)...)
	return label, problems
}

func metaOf(obj runtime.Object) (metav1.Object, error) {
	type hasMeta interface{ GetObjectMeta() metav1.Object }
	if m, ok := obj.(hasMeta); ok {
		return m.GetObjectMeta(), nil
	}
	return nil, fmt.Errorf("%T has no object metadata", obj)
}

// create runs the API server's create path on the internal version of the (defaulted) object.
func (c *checker) create(versioned runtime.Object, gvk schema.GroupVersionKind) []string {
	strategy, ok := strategies[gvk.GroupKind()]
	if !ok {
		return []string{fmt.Sprintf("kind %s is not one this chart may render", gvk.GroupKind())}
	}
	internal, err := legacyscheme.Scheme.ConvertToVersion(versioned.DeepCopyObject(), schema.GroupVersion{Group: gvk.Group, Version: runtime.APIVersionInternal})
	if err != nil {
		return []string{"convert: " + err.Error()}
	}
	meta, err := metaOf(internal)
	if err != nil {
		return []string{err.Error()}
	}
	namespace := meta.GetNamespace()
	if namespace == "" {
		namespace = metav1.NamespaceDefault
	}
	recorder := &warnings{}
	ctx := genericapirequest.WithNamespace(context.Background(), namespace)
	ctx = warning.WithWarningRecorder(ctx, recorder)
	rest.FillObjectMetaSystemFields(meta)
	if err := rest.BeforeCreate(strategy, ctx, internal); err != nil {
		return []string{"create: " + err.Error()}
	}
	var problems []string
	if c.warningsAreFatal {
		for _, w := range recorder.texts {
			problems = append(problems, "warning: "+w)
		}
	}
	return problems
}

// podSecurity evaluates every pod template of the object at the configured Pod Security level.
func (c *checker) podSecurity(obj runtime.Object) []string {
	var meta *metav1.ObjectMeta
	var spec *corev1.PodSpec
	switch o := obj.(type) {
	case *appsv1.Deployment:
		meta, spec = &o.Spec.Template.ObjectMeta, &o.Spec.Template.Spec
	case *batchv1.Job:
		meta, spec = &o.Spec.Template.ObjectMeta, &o.Spec.Template.Spec
	case *corev1.Pod:
		meta, spec = &o.ObjectMeta, &o.Spec
	default:
		return nil
	}
	result := psapolicy.AggregateCheckResults(c.evaluator.EvaluatePod(c.level, meta, spec))
	if result.Allowed {
		return nil
	}
	problems := make([]string, 0, len(result.ForbiddenReasons))
	for i, reason := range result.ForbiddenReasons {
		problems = append(problems, fmt.Sprintf("pod security %q: %s (%s)", c.level.Level, reason, strings.TrimSpace(result.ForbiddenDetails[i])))
	}
	return problems
}
