"""Expected values of 02_gradient_descent's public tests (written by expected/make.py)."""

TEXT = (
    '{"fit_linear_regression":{"loss_after_first_step":4.40784393468611,'
    '"one_step":{"b":0.04989869694968103, "w":[0.14764976502442972, -0.20153657721143203,'
    '0.037829953774706444]}, "two_steps":{"b":0.0967176421437839, "w":[0.2804440161329115,'
    "-0.3828248028796152, 0.0729828168921613]}},"
    '"quadratic_gradient":{"general":{"assumes_symmetric":[5.5, -3.0], "gradient":[3.5, -2.0],'
    '"missing_half":[6.5, -3.0], "missing_linear_term":[3.0, -1.0], "only_transpose":[1.5,'
    '-1.0]}, "symmetric":{"assumes_symmetric":[4.5, 6.0], "gradient":[4.5, 6.0],'
    '"missing_half":[8.5, 13.0], "missing_linear_term":[4.0, 7.0], "only_transpose":[4.5, 6.0]}}}'
)
