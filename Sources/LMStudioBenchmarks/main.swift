print("lmstudio-bench")
