"""FEEL, the expression language of DMN 1.5: values, built-in functions and the evaluator."""
