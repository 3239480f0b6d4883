"""Education views: learner pages, counselor authoring and assignments (one module each)."""
