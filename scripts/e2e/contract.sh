#!/usr/bin/env bash
# Sourced by the e2e scripts for their defaults: values of the contract the sample app shares with the
# program and the policy pack (sample-app/src/contract.ts explains each), read instead of restated so
# that a script cannot look for pods, Deployments or variables the stack no longer has. Needs jq.

contract_file="$(dirname "${BASH_SOURCE[0]}")/../../sample-app/src/contract-values.json"

# Prints the value at a jq path of the contract; fails on a path it does not have.
contract_value() {
  jq -er "$1" "$contract_file"
}

# Prints the label selector of every sample-app pod (and Deployment).
sample_app_selector() {
  contract_value '.kubernetes | "\(.labels.name)=\(.name)"'
}
