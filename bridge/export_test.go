package bridge

// StoreFailEvery is storeFailEvery, for the tests of package bridge_test.
var StoreFailEvery = &storeFailEvery

// ReloginWait is reloginWait, for the tests of package bridge_test.
var ReloginWait = &reloginWait // an atomic.Int64 of nanoseconds

// AdhocLoginBudget, LoginConnectWait and CallTimeout are
// adhocLoginBudget, loginConnectWait and callTimeout, for the tests of
// package bridge_test.
const (
	AdhocLoginBudget = adhocLoginBudget
	LoginConnectWait = loginConnectWait
	CallTimeout      = callTimeout
)
