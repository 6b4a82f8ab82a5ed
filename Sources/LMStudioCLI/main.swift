print("lms-swift")
