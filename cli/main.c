/* main.c - the cudaup command line (placeholder until the CLI lands). */
#include "core/error.h"

#include <stdio.h>

int main(void)
{
  return 0;
}
