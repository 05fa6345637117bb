//go:build race

package plugin_test

const testAddressSpace = -1
