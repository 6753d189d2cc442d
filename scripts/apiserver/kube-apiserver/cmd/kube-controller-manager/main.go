// Command kube-controller-manager is upstream's main, built from the same wrapper module as
// kube-apiserver so the local control plane's components share one pinned k8s.io/kubernetes.
package main

import (
	"os"
	_ "time/tzdata" // upstream embeds tz data for CronJob time zones; keep behaviour identical

	"k8s.io/component-base/cli"
	_ "k8s.io/component-base/logs/json/register"          // --logging-format=json, as upstream
	_ "k8s.io/component-base/metrics/prometheus/clientgo" // client-go metrics, as upstream
	_ "k8s.io/component-base/metrics/prometheus/version"  // version metric, as upstream
	"k8s.io/kubernetes/cmd/kube-controller-manager/app"
)

func main() {
	os.Exit(cli.Run(app.NewControllerManagerCommand()))
}
