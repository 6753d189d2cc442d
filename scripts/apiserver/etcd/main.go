// Command etcd is upstream's etcd server main (go.etcd.io/etcd/server/v3), wrapped in a module so
// its dependency versions are locked by the committed go.sum.
package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() {
	etcdmain.Main(os.Args)
}
