"""From the analysts' workbooks to tidy, validated tables.

``specs`` declares the input; ``clean`` parses cell values (money to exact 元, names, counts);
``tables`` turns raw sheets into processed tables, collecting every located problem; ``schemas``
checks them at the boundary; ``load`` joins reading, building and keeping; ``template`` writes
a blank workbook.
"""
