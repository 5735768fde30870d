package bridge

// StoreFailEvery is storeFailEvery, for the tests of package bridge_test.
var StoreFailEvery = &storeFailEvery
