"""Expected values of 01_perceptron's public tests (written by expected/make.py)."""

TEXT = (
    '{"criterion_gradient":{"b=0":{"db":[{"code":"margin_zero_as_correct", "value":1.0},'
    '{"code":"sums_all_points", "value":-0.0}, {"code":"bias_grad_from_x", "value":-0.0}],'
    '"dw":[{"code":"margin_zero_as_correct", "value":[2.0, -0.0]}, {"code":"sums_all_points",'
    '"value":[-0.0, 1.5]}]}, "b=0.5":{"db":[{"code":"margin_zero_as_correct", "value":1.0},'
    '{"code":"sums_all_points", "value":-0.0}, {"code":"bias_grad_from_x", "value":-2.0}],'
    '"dw":[{"code":"margin_zero_as_correct", "value":[2.0, -0.0]}, {"code":"sums_all_points",'
    '"value":[-0.0, 1.5]}]}}, "sgd_update":{"b":[{"code":"wrong_sign", "value":0.4},'
    '{"code":"missing_learning_rate", "value":1.5}, {"code":"biases_not_updated", "value":0.5}],'
    '"b_every":[{"code":"updates_every_point", "value":0.6}], "w":[{"code":"wrong_sign",'
    '"value":[0.9, -1.2]}, {"code":"missing_learning_rate", "value":[2.0, 1.0]}],'
    '"w_every":[{"code":"updates_every_point", "value":[1.2, -1.0]}]},'
    '"signed_distance":{"b=0":[{"code":"missing_norm", "value":[25.0, 0.0, 5.0, -25.0]},'
    '{"code":"divides_by_norm_squared", "value":[1.0, 0.0, 0.2, -1.0]}, {"code":"missing_bias",'
    '"value":[5.0, 0.0, 1.0, -5.0]}], "b=5":[{"code":"missing_norm", "value":[30.0, 5.0, 10.0,'
    '-20.0]}, {"code":"divides_by_norm_squared", "value":[1.2, 0.2, 0.4, -0.8]},'
    '{"code":"missing_bias", "value":[5.0, 0.0, 1.0, -5.0]}]}}'
)
