package session_test

const crashEnv = "SESSION_TEST_CRASH"

func crashChild() {}
