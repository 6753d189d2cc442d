// Command kube-apiserver is upstream's kube-apiserver main, built from Go modules so the test stage
// gets a real API server without Docker or GitHub downloads (see scripts/apiserver/build.sh).
package main

import (
	"os"
	_ "time/tzdata" // upstream embeds tz data for CronJob time zones; keep behaviour identical

	"k8s.io/component-base/cli"
	_ "k8s.io/component-base/logs/json/register"          // --logging-format=json, as upstream
	_ "k8s.io/component-base/metrics/prometheus/clientgo" // client-go metrics, as upstream
	_ "k8s.io/component-base/metrics/prometheus/version"  // version metric, as upstream
	"k8s.io/kubernetes/cmd/kube-apiserver/app"
)

func main() {
	os.Exit(cli.Run(app.NewAPIServerCommand()))
}
